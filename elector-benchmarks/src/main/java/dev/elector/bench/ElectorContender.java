package dev.elector.bench;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.testservers.PostgresServer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Elector through its public API, on the backend the URI scheme names. */
final class ElectorContender implements Contender {
  private final String name;
  private final String scheme;
  private final String endpoint;
  private final Duration sessionTimeout;
  /** Null in a lane's view: the view owns nothing and closes nothing. */
  private final ElectionClient control;
  private final LineReader lines;
  private final String root;

  /** Counts an election's tickets with the service's own client, as the peers' line reads do. */
  interface LineReader extends AutoCloseable {
    int count(String path) throws Exception;

    @Override
    void close();
  }

  ElectorContender(String name, String scheme, String endpoint, Duration sessionTimeout, LineReader lines) {
    this.name = name;
    this.scheme = scheme;
    this.endpoint = endpoint;
    this.sessionTimeout = sessionTimeout;
    this.lines = lines;
    this.root = ROOT;
    this.control = Elections.connect(uri(endpoint));
  }

  private ElectorContender(ElectorContender of, String root) {
    this.name = of.name;
    this.scheme = of.scheme;
    this.endpoint = of.endpoint;
    this.sessionTimeout = of.sessionTimeout;
    this.lines = of.lines;
    this.root = root;
    this.control = null;
  }

  private static final AtomicInteger LANES = new AtomicInteger();

  /**
   * A view under a root of its own: on etcd every Elector session watches its whole root, so lanes sharing a root
   * would hear each other's handoffs during their quiet period. The roots are siblings of equal length
   * ({@code /bench-lane-0001}, …), never one a prefix of another.
   */
  @Override
  public Contender lane() {
    return new ElectorContender(this, String.format(Locale.ROOT, "%s-lane-%04d", ROOT, LANES.incrementAndGet()));
  }

  String uri(String ep) {
    return uri(scheme, ep, root) + "sessionTimeout=" + sessionTimeout.toMillis() + "ms"
        + "&connectTimeout=10s&operationTimeout=3s";
  }

  /**
   * The URI up to its options (ending in {@code ?} or {@code &}). On PostgreSQL the path names the database and
   * then the schema that plays the root's part (a root's dashes become underscores: a plain SQL identifier).
   */
  static String uri(String scheme, String ep, String root) {
    if (scheme.equals("postgresql")) {
      return "postgresql://" + ep + "/postgres/" + root.substring(1).replace('-', '_') + "?user=" + PostgresServer.USER
          + "&";
    }
    return scheme + "://" + ep + root + "?";
  }

  /** Elector on PostgreSQL; its lines are counted through the API (one client per lane's root). */
  static ElectorContender postgres(String endpoint, Duration sessionTimeout) {
    java.util.Map<String, ElectionClient> byRoot = new java.util.concurrent.ConcurrentHashMap<>();
    LineReader lines = new LineReader() {
      @Override
      public int count(String path) throws Exception {
        int slash = path.lastIndexOf('/');
        ElectionClient c = byRoot.computeIfAbsent(path.substring(0, slash),
            r -> Elections.connect(uri("postgresql", endpoint, r) + "sessionTimeout=" + sessionTimeout.toMillis()
                + "ms"));
        return c.election(path.substring(slash + 1)).participants().toCompletableFuture()
            .get(10, java.util.concurrent.TimeUnit.SECONDS).size();
      }

      @Override
      public void close() {
        byRoot.values().forEach(ElectionClient::close);
      }
    };
    return new ElectorContender("Elector", "postgresql", endpoint, sessionTimeout, lines);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean elector() {
    return true;
  }

  @Override
  public Session session(String ep) {
    return new ElectorSession(Elections.connect(uri(ep)));
  }

  @Override
  public Session session() {
    return session(endpoint);
  }

  /** Elections live under this root (or a lane's); both backends put an election's tickets directly under it. */
  static final String ROOT = "/bench";

  /**
   * One raw read, like the peers' line reads (the API's {@code participants()} also reads every ticket's data,
   * which would give Elector's successors more time to settle in the churn variant).
   */
  @Override
  public int lineSize(String election) throws Exception {
    return lines.count(root + "/" + election);
  }

  @Override
  public void close() {
    if (control != null) {
      control.close();
      lines.close();
    }
  }

  static final class ElectorSession implements Session {
    final ElectionClient client;

    ElectorSession(ElectionClient client) {
      this.client = client;
    }

    @Override
    public Member join(String election, String id, Elected onElected) {
      ElectorMember m = new ElectorMember(id);
      m.candidate = client.election(election).candidate(id).listener(Runnable::run, new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          long now = System.nanoTime();
          m.term.set(term);
          onElected.elected(m, now);
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {
          m.term.compareAndSet(term, null);
        }
      }).join();
      return m;
    }

    @Override
    public long sessionId() {
      return client.sessionId();
    }

    @Override
    public void close() {
      client.close();
    }
  }

  static final class ElectorMember implements Member {
    private final String id;
    final AtomicReference<Leadership> term = new AtomicReference<>();
    volatile Candidate candidate;

    ElectorMember(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void close() {
      candidate.closeAsync();
    }

    @Override
    public void resign() {
      candidate.resign();
    }

    @Override
    public boolean leads() {
      Leadership t = term.get();
      return t != null && t.isValid();
    }

    @Override
    public boolean joined() {
      Candidate c = candidate;
      return c != null && c.state() != CandidateState.JOINING;
    }
  }
}
