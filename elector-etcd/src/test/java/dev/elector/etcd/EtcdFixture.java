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
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the TCK against real etcd servers: {@code size} members of Debian's etcd 3.4 on loopback. Expiring a
 * session revokes its lease through etcd's JSON gateway; a restart stops and starts every member on the same ports
 * and data directories. Operator actions ({@link Capability#OPERATOR}) use an admin client, as {@code etcdctl}
 * would.
 */
final class EtcdFixture implements TckFixture {
  private final int size;
  /** Peer traffic through {@link PeerNet}, so that a member can be cut off ({@link Capability#ISOLATE_MEMBER}). */
  private final boolean isolatable;
  /** One root for every client of this fixture: clients of one test must meet in the same elections. */
  private final String root = "/" + EtcdCluster.unique("tck");
  private EtcdCluster etcd;
  private Client admin;

  EtcdFixture(int size) {
    this(size, false);
  }

  private EtcdFixture(int size, boolean isolatable) {
    this.size = size;
    this.isolatable = isolatable;
  }

  /** A cluster of {@code size} members whose peer links go through proxies, for the member-isolation scenario. */
  static EtcdFixture isolatable(int size) {
    return new EtcdFixture(size, true);
  }

  @Override
  public String name() {
    return size == 1 ? "etcd" : "etcd cluster";
  }

  @Override
  public void start() {
    etcd = isolatable ? EtcdCluster.startIsolatable(size) : EtcdCluster.start(size);
  }

  /**
   * The operator's client, made on first use: a fixture used only to expire sessions (the soak) starts none, so the
   * soak's count of client threads sees only its own clients'.
   */
  private synchronized Client admin() {
    if (admin == null) {
      admin = Client.builder().endpoints(etcd.endpoints().stream().map(e -> "http://" + e).toArray(String[]::new))
          .build();
    }
    return admin;
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
    Set<Capability> all = EnumSet.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.OPERATOR);
    if (size > 1) {
      all.add(Capability.KILL_MEMBER);
    }
    if (isolatable) {
      all.add(Capability.ISOLATE_MEMBER);
    }
    return all;
  }

  /** jetcd's and its transport's (Vert.x, gRPC) threads. */
  @Override
  public boolean isClientThread(String name) {
    return name.startsWith("vert.x-") || name.startsWith("vertx-") || name.startsWith("jetcd-");
  }

  /**
   * jetcd's per-client executor starts a worker per concurrent task and lets it go after 60 s idle: its size follows
   * the recent burst of work, not a leak (checked to be gone at close instead).
   */
  @Override
  public boolean isCachedPoolThread(String name) {
    return name.startsWith("jetcd-pool-");
  }

  @Override
  public void expireSession(ElectionClient client) throws Exception {
    long lease = client.sessionId();
    if (lease == 0) {
      // Between an expiry and the next granted lease there is no session on the server to expire.
      return;
    }
    // Through etcd's JSON gateway, on a connection of its own (no client library, so no threads left behind); the
    // next member is asked when one is down or cannot commit now (no leader, a timeout under load).
    List<String> failures = new ArrayList<>();
    for (String endpoint : etcd.endpoints()) {
      String reply;
      try {
        reply = EtcdHttp.request(endpoint, "POST", "/v3/lease/revoke", "{\"ID\":" + lease + "}");
      } catch (IOException down) {
        failures.add(endpoint + ": " + down);
        continue;
      }
      // The kit expires a partitioned client after its deadline passed: etcd may have expired the lease already.
      if (reply.contains("\"header\"") || reply.contains("lease not found")) {
        return;
      }
      failures.add(endpoint + ": " + reply);
    }
    throw new IllegalStateException("no etcd member revoked lease " + lease + ": " + failures);
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
    for (String key : ticketKeys(admin(), prefix(election), candidateId)) {
      admin().getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
    }
  }

  /** {@code <root>/<election>/<name>}: a name with no lease-uuid form is not a ticket (SPEC rule 4.8). */
  @Override
  public void putForeignEntry(String election, String name, byte[] value) throws Exception {
    if (TicketNames.isTicketName(name)) {
      throw new IllegalArgumentException("'" + name + "' is a ticket name on etcd, not a foreign entry");
    }
    admin().getKVClient().put(bytes(prefix(election) + name), ByteSequence.from(value)).get(10, TimeUnit.SECONDS);
  }

  /** Every key under {@code <root>/<election>/}, in one request (a range delete, as {@code etcdctl del --prefix}). */
  @Override
  public void deleteElection(String election) throws Exception {
    admin().getKVClient().delete(bytes(prefix(election)), DeleteOption.builder().isPrefix(true).build())
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

  /** Returns once the member reports healthy, which etcd only does with a quorum and a Raft leader. */
  @Override
  public void restoreMember(int i) {
    etcd.restart(i);
  }

  /** From etcd's maintenance status. */
  @Override
  public OptionalInt leaderMember() {
    return etcd.leader();
  }

  /** Through the proxies on the peer URLs ({@link PeerNet}); proven by {@link EtcdIsolationTest}. */
  @Override
  public void isolateMember(int i) {
    etcd.isolate(i);
  }

  /** Returns once every running member reports healthy. */
  @Override
  public void rejoinMember(int i) {
    etcd.rejoin(i);
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
