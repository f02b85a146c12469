package dev.elector.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * jetcd's {@code Election} client: etcd's own election service (campaign/resign), each candidate on a lease kept
 * alive by jetcd. The service names a candidate's key {@code <election>/<lease hex>}, so a lease holds one candidate.
 */
final class JetcdContender implements Contender {
  private final String endpoint;
  private final long ttlSeconds;
  private final Client control;

  JetcdContender(String endpoint, Duration ttl) {
    this.endpoint = endpoint;
    this.ttlSeconds = Math.max(2, ttl.toSeconds());
    this.control = client(endpoint);
  }

  static Client client(String ep) {
    return Client.builder().endpoints("http://" + ep).build();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String name(String election) {
    return "/jetcd-election/" + election;
  }

  @Override
  public String name() {
    return "jetcd Election";
  }

  @Override
  public boolean elector() {
    return false;
  }

  /** jetcd tells a leader nothing when its lease is in doubt: it has no validity check. */
  @Override
  public boolean hasValidity() {
    return false;
  }

  @Override
  public Session session(String ep) throws Exception {
    return new JetcdSession(client(ep));
  }

  @Override
  public Session session() throws Exception {
    return session(endpoint);
  }

  @Override
  public int lineSize(String election) throws Exception {
    return (int) control.getKVClient()
        .get(bytes(name(election) + "/"), GetOption.builder().isPrefix(true).withCountOnly(true).build())
        .get(10, TimeUnit.SECONDS).getCount();
  }

  @Override
  public void close() {
    control.close();
  }

  final class JetcdSession implements Session {
    final Client client;
    private final List<Long> leases = new ArrayList<>();
    private final List<CloseableClient> keepAlives = new ArrayList<>();
    private final List<Long> free = new ArrayList<>();

    JetcdSession(Client client) throws Exception {
      this.client = client;
      free.add(grant());
    }

    private long grant() throws Exception {
      long id = client.getLeaseClient().grant(ttlSeconds).get(10, TimeUnit.SECONDS).getID();
      CloseableClient keepAlive = client.getLeaseClient().keepAlive(id, new StreamObserver<LeaseKeepAliveResponse>() {
        @Override
        public void onNext(LeaseKeepAliveResponse value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      synchronized (this) {
        keepAlives.add(keepAlive);
        leases.add(id);
      }
      return id;
    }

    /**
     * A lease no live candidate uses; the key a lease names is gone once its candidate resigned. Never grants while
     * holding the lock: the resign callback that frees a lease runs on jetcd's executor, which the grant's own
     * completion may be queued behind.
     */
    long lease() throws Exception {
      synchronized (this) {
        if (!free.isEmpty()) {
          return free.remove(free.size() - 1);
        }
      }
      return grant();
    }

    synchronized void release(long lease) {
      free.add(lease);
    }

    @Override
    public Member join(String election, String id, Elected onElected) throws Exception {
      JetcdMember m = new JetcdMember(this, bytes(name(election)), id, lease(), onElected);
      m.campaign();
      return m;
    }

    @Override
    public synchronized long sessionId() {
      return leases.isEmpty() ? 0 : leases.get(0);
    }

    @Override
    public void close() {
      List<Long> all;
      synchronized (this) {
        keepAlives.forEach(CloseableClient::close);
        all = List.copyOf(leases);
      }
      for (long l : all) {
        try {
          client.getLeaseClient().revoke(l).get(1, TimeUnit.SECONDS);
        } catch (Exception partitionedOrGone) {
          // Behind a cut proxy the revoke cannot arrive; the lease expires on its TTL.
        }
      }
      client.close();
    }
  }

  static final class JetcdMember implements Member {
    private final JetcdSession session;
    private final ByteSequence election;
    private final String id;
    private final long lease;
    private final Elected onElected;
    private volatile LeaderKey key;
    private volatile boolean leading;
    /** Set by close(): a campaign still pending on the server is withdrawn, and if it wins anyway, ignored. */
    private volatile boolean closed;

    JetcdMember(JetcdSession session, ByteSequence election, String id, long lease, Elected onElected) {
      this.session = session;
      this.election = election;
      this.id = id;
      this.lease = lease;
      this.onElected = onElected;
    }

    void campaign() {
      if (closed) {
        return;
      }
      session.client.getElectionClient().campaign(election, lease, bytes(id)).whenComplete((r, e) -> {
        if (e == null && !closed) {
          long now = System.nanoTime();
          key = r.getLeader();
          leading = true;
          onElected.elected(this, now);
        }
      });
    }

    @Override
    public String id() {
      return id;
    }

    /**
     * Resigns if it leads; a candidate still waiting in line (its campaign pending) has its lease revoked instead,
     * which deletes its key, and the lease is not reused: etcd's election service names the key after the lease, so
     * a later campaign on it would meet the old one's pending call.
     */
    @Override
    public void close() {
      closed = true;
      leading = false;
      LeaderKey k = key;
      key = null;
      if (k != null) {
        session.client.getElectionClient().resign(k).thenRun(() -> session.release(lease));
      } else {
        session.client.getLeaseClient().revoke(lease);
      }
    }

    /** Campaigning again on the same lease before the resign lands would find the old key and "win" at once. */
    @Override
    public void resign() {
      leading = false;
      LeaderKey k = key;
      key = null;
      session.client.getElectionClient().resign(k).thenRun(this::campaign);
    }

    @Override
    public boolean leads() {
      return leading;
    }

    @Override
    public boolean joined() {
      return true;
    }
  }
}
