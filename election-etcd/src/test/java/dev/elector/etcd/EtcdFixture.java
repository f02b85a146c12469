package dev.elector.etcd;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.tck.TckFixture;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the TCK against real etcd servers: {@code size} members of Debian's etcd 3.4 on loopback. Expiring a
 * session revokes its lease from a separate admin client; a restart stops and starts every member on the same ports
 * and data directories.
 */
final class EtcdFixture implements TckFixture {
  private final int size;
  /** One root for every client of this fixture: clients of one test must meet in the same elections. */
  private final String root = "/" + EtcdCluster.unique("tck");
  private EtcdCluster etcd;
  private Client admin;

  EtcdFixture(int size) {
    this.size = size;
  }

  @Override
  public void start() {
    etcd = EtcdCluster.start(size);
    admin = Client.builder().endpoints(etcd.endpoints().stream().map(e -> "http://" + e).toArray(String[]::new))
        .build();
  }

  @Override
  public List<String> endpoints() {
    return etcd.endpoints();
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("etcd").endpoints(endpoints).root(root)
        .sessionTimeout(sessionTimeout()).connectTimeout(Duration.ofSeconds(5))
        .operationTimeout(Duration.ofSeconds(3)).build();
  }

  @Override
  public Duration sessionTimeout() {
    return Duration.ofSeconds(3);
  }

  @Override
  public Set<Capability> capabilities() {
    return size > 1
        ? Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.KILL_MEMBER)
        : Set.of(Capability.EXPIRE_SESSION, Capability.RESTART);
  }

  @Override
  public void expireSession(ElectionClient client) throws Exception {
    long lease = client.sessionId();
    if (lease == 0) {
      // Between an expiry and the next granted lease there is no session on the server to expire.
      return;
    }
    try {
      admin.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      // The kit expires a partitioned client after its deadline passed: etcd may have expired the lease already.
      if (!EtcdErrors.leaseNotFound(e)) {
        throw e;
      }
    }
  }

  @Override
  public void restart() {
    etcd.restartAll();
  }

  @Override
  public int members() {
    return size;
  }

  @Override
  public void killMember(int i) {
    etcd.kill(i);
  }

  @Override
  public void restoreMember(int i) {
    etcd.restart(i);
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }
}
