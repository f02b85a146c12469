package dev.elector.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * Backend round trips on loopback with each service's own client: the physical floor every handoff is compared to
 * (a handoff needs at least one committed delete and one notification).
 */
final class Floors {
  static final String ZK_READ = "round trip: ZooKeeper read (exists)";
  static final String ZK_WRITE = "round trip: ZooKeeper write (create+delete)";
  static final String ETCD_READ = "round trip: etcd read (get)";
  static final String ETCD_WRITE = "round trip: etcd write (put+delete)";

  private Floors() {}

  @FunctionalInterface
  interface Op {
    void run() throws Exception;
  }

  static long[] measure(Op op, int warmup, int count, Duration budget) throws Exception {
    for (int i = 0; i < warmup; i++) {
      op.run();
    }
    LongList out = new LongList();
    Budget b = Budget.of(budget);
    while (out.size() < count && b.left()) {
      long t0 = System.nanoTime();
      op.run();
      out.add(System.nanoTime() - t0);
    }
    return out.toArray();
  }

  static ZooKeeper zk(String endpoint) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(endpoint, 10_000, e -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
    });
    if (!connected.await(10, TimeUnit.SECONDS)) {
      zk.close();
      throw new IllegalStateException("raw ZooKeeper client could not connect to " + endpoint);
    }
    return zk;
  }

  static void zookeeper(Results res, String endpoint, int count, Duration budget) throws Exception {
    ZooKeeper zk = zk(endpoint);
    try {
      zk.create("/bench-floor", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      res.add(ZK_READ, "ZooKeeper client", false, Unit.NANOS,
          measure(() -> zk.exists("/bench-floor", false), count / 5, count, budget), "floor");
      byte[] data = "candidate-0".getBytes();
      res.add(ZK_WRITE, "ZooKeeper client", false, Unit.NANOS, measure(() -> {
        String p = zk.create("/bench-floor/e-", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        zk.delete(p, -1);
      }, count / 5, count, budget), "floor");
      zk.delete("/bench-floor", -1);
    } finally {
      zk.close();
    }
  }

  static void etcd(Results res, String endpoint, int count, Duration budget) throws Exception {
    try (Client c = JetcdContender.client(endpoint)) {
      KV kv = c.getKVClient();
      ByteSequence key = JetcdContender.bytes("/bench-floor/k");
      ByteSequence val = JetcdContender.bytes("candidate-0");
      kv.put(key, val).get(10, TimeUnit.SECONDS);
      res.add(ETCD_READ, "etcd client (jetcd KV)", false, Unit.NANOS,
          measure(() -> kv.get(key).get(10, TimeUnit.SECONDS), count / 5, count, budget), "floor");
      res.add(ETCD_WRITE, "etcd client (jetcd KV)", false, Unit.NANOS, measure(() -> {
        kv.put(key, val).get(10, TimeUnit.SECONDS);
        kv.delete(key).get(10, TimeUnit.SECONDS);
      }, count / 5, count, budget), "floor");
    }
  }
}
