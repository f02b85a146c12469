package dev.elector.etcd;

import dev.elector.tck.ElectionTck;
import dev.elector.tck.TckFixture;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against a real three-member etcd cluster (Debian's etcd 3.4 on loopback), every client behind the
 * kit's fault proxies. Three members so that the member-loss rule runs too; the fixture expires sessions by revoking
 * their lease from an admin client and restarts the service by restarting every member on its data directory.
 */
@DisplayName("Elector TCK on etcd (3 members)")
class EtcdTckTest extends ElectionTck {
  @Override
  protected TckFixture fixture() {
    return new EtcdFixture(3);
  }
}
