package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.tck.TckFixture;
import dev.elector.spi.TicketCodec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the TCK against real etcd servers: {@code size} members of Debian's etcd 3.4 on loopback. Expiring a
 * session revokes its lease from a separate admin client; a restart stops and starts every member on the same ports
 * and data directories. Operator actions ({@link Capability#OPERATOR}) use the same admin client, as {@code etcdctl}
 * would.
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
        ? Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.KILL_MEMBER, Capability.OPERATOR)
        : Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.OPERATOR);
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

  private String prefix(String election) {
    return root + "/" + election + "/";
  }

  /**
   * Deletes the keys of {@link #ticketKeys}, each in its own request, as {@code etcdctl del} would; none (the
   * candidate between two tickets) deletes nothing.
   */
  @Override
  public void deleteTicket(String election, String candidateId) throws Exception {
    for (String key : ticketKeys(admin, prefix(election), candidateId)) {
      admin.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
    }
  }

  /** {@code <root>/<election>/<name>}: a name with no lease-uuid form is not a ticket (SPEC rule 4.8). */
  @Override
  public void putForeignEntry(String election, String name, byte[] value) throws Exception {
    if (TicketNames.isTicketName(name)) {
      throw new IllegalArgumentException("'" + name + "' is a ticket name on etcd, not a foreign entry");
    }
    admin.getKVClient().put(bytes(prefix(election) + name), ByteSequence.from(value)).get(10, TimeUnit.SECONDS);
  }

  /** Every key under {@code <root>/<election>/}, in one request (a range delete, as {@code etcdctl del --prefix}). */
  @Override
  public void deleteElection(String election) throws Exception {
    admin.getKVClient().delete(bytes(prefix(election)), DeleteOption.builder().isPrefix(true).build())
        .get(10, TimeUnit.SECONDS);
  }

  /**
   * The tickets under {@code prefix} (an election's, ending in '/') whose value names {@code candidateId}, read with
   * a raw client.
   */
  static List<String> ticketKeys(Client client, String prefix, String candidateId) throws Exception {
    List<KeyValue> kvs = client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build())
        .get(10, TimeUnit.SECONDS).getKvs();
    List<String> out = new ArrayList<>();
    for (KeyValue kv : kvs) {
      String key = kv.getKey().toString(UTF_8);
      if (TicketNames.ticketName(key, prefix) == null) {
        continue;
      }
      try {
        if (TicketCodec.candidateId(kv.getValue().getBytes()).equals(candidateId)) {
          out.add(key);
        }
      } catch (IllegalArgumentException e) {
        // Not readable: not this candidate's.
      }
    }
    return out;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
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
