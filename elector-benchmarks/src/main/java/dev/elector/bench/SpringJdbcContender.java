package dev.elector.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.elector.testservers.PostgresServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * Spring Integration's {@code LockRegistryLeaderInitiator} over a {@code JdbcLockRegistry} on PostgreSQL: what a
 * Spring team uses for a leader on the database it already runs. Leadership is a row in {@code INT_LOCK} with an
 * expiry the holder renews; the others poll for it. Settings are Spring's defaults (heart beat 500 ms, busy wait
 * 50 ms between tries) except the lock's time to live, which is the session timeout every contender gets, and the
 * JDBC socket timeout (the same), without which a leader cut off from the database waits on a renewal forever.
 *
 * <p>There is no line on the server: {@link #lineSize} counts the initiators started for the election and not yet
 * stopped (all of them poll for the same row).
 */
final class SpringJdbcContender implements Contender {
  private static final AtomicInteger POOLS = new AtomicInteger();
  private final String endpoint;
  private final Duration ttl;
  private final Map<String, AtomicInteger> started = new ConcurrentHashMap<>();

  SpringJdbcContender(String endpoint, Duration ttl) throws Exception {
    this.endpoint = endpoint;
    this.ttl = ttl;
    try (HikariDataSource ds = dataSource(endpoint); Connection c = ds.getConnection();
         Statement s = c.createStatement()) {
      s.execute(lockTable());
    }
  }

  /** The {@code INT_LOCK} table from the schema script Spring Integration ships, created once per server. */
  private static String lockTable() throws IOException {
    try (InputStream in = DefaultLockRepository.class.getResourceAsStream("/org/springframework/integration/jdbc/"
        + "schema-postgresql.sql")) {
      if (in == null) {
        throw new IOException("schema-postgresql.sql not found in spring-integration-jdbc");
      }
      String script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int from = script.indexOf("CREATE TABLE INT_LOCK");
      int to = script.indexOf(';', from);
      if (from < 0 || to < 0) {
        throw new IOException("no INT_LOCK table in Spring Integration's schema-postgresql.sql");
      }
      return script.substring(from, to).replace("CREATE TABLE INT_LOCK", "CREATE TABLE IF NOT EXISTS INT_LOCK");
    }
  }

  private HikariDataSource dataSource(String ep) {
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("bench-spring-jdbc-" + POOLS.incrementAndGet());
    cfg.setJdbcUrl(PostgresServer.jdbcUrl(ep) + "&socketTimeout=" + Math.max(1, ttl.toSeconds()) + "&connectTimeout=2");
    cfg.setMaximumPoolSize(8);
    cfg.setMinimumIdle(1);
    cfg.setConnectionTimeout(Math.max(250, ttl.toMillis()));
    return new HikariDataSource(cfg);
  }

  @Override
  public String name() {
    return "Spring JdbcLockRegistry";
  }

  @Override
  public boolean elector() {
    return false;
  }

  @Override
  public Session session(String ep) {
    return new JdbcSession(dataSource(ep));
  }

  @Override
  public Session session() {
    return session(endpoint);
  }

  @Override
  public int lineSize(String election) {
    AtomicInteger n = started.get(election);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {}

  final class JdbcSession implements Session {
    private final HikariDataSource ds;
    private final JdbcLockRegistry registry;
    private final DefaultLockRepository repository;
    private final List<JdbcMember> members = new CopyOnWriteArrayList<>();

    JdbcSession(HikariDataSource ds) {
      this.ds = ds;
      repository = new DefaultLockRepository(ds);
      // What Spring's context would hand it: a transaction manager over the same pool.
      repository.setTransactionManager(new DataSourceTransactionManager(ds));
      repository.afterPropertiesSet();
      repository.afterSingletonsInstantiated();
      repository.start();
      registry = new JdbcLockRegistry(repository, ttl);
    }

    @Override
    public Member join(String election, String id, Elected onElected) {
      JdbcMember m = new JdbcMember(election, id, onElected);
      LockRegistryLeaderInitiator initiator = new LockRegistryLeaderInitiator(registry, m.candidate);
      m.initiator = initiator;
      members.add(m);
      started.computeIfAbsent(election, e -> new AtomicInteger()).incrementAndGet();
      initiator.start();
      return m;
    }

    @Override
    public long sessionId() {
      return 0;
    }

    @Override
    public void close() {
      members.forEach(JdbcMember::close);
      repository.stop();
      ds.close();
    }
  }

  final class JdbcMember implements Member {
    private final String election;
    private final String id;
    private final DefaultCandidate candidate;
    private volatile LockRegistryLeaderInitiator initiator;
    private volatile Context context;
    private volatile boolean closed;

    JdbcMember(String election, String id, Elected onElected) {
      this.election = election;
      this.id = id;
      // The role names the lock, as in Spring: every candidate of one election asks for the same row.
      this.candidate = new DefaultCandidate(id, election) {
        @Override
        public void onGranted(Context ctx) {
          long now = System.nanoTime();
          context = ctx;
          onElected.elected(JdbcMember.this, now);
        }

        @Override
        public void onRevoked(Context ctx) {
          context = null;
        }
      };
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      started.get(election).decrementAndGet();
      initiator.destroy();
    }

    @Override
    public void resign() {
      Context c = context;
      if (c != null) {
        c.yield();
      }
    }

    @Override
    public boolean leads() {
      Context c = context;
      return c != null && c.isLeader();
    }

    @Override
    public boolean joined() {
      return true;
    }
  }
}
