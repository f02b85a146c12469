package dev.elector.zookeeper;

import dev.elector.tck.ElectionTck;
import dev.elector.tck.TckFixture;

/** Runs the Elector TCK against the ZooKeeper backend on an in-process server. */
class ZooKeeperTckTest extends ElectionTck {
  @Override
  protected TckFixture fixture() {
    return new ZkFixture();
  }
}
