package dev.elector.postgres;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.tck.TckFixture;
import dev.elector.testservers.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs the TCK against a real PostgreSQL 15 ({@link PostgresServer}). Every client's schema is one fresh schema of
 * database {@code postgres}; operator actions and session expiry are SQL statements on a superuser connection
 * straight to the server, as {@code psql} would send them: expiring a session deletes its row, which is what the
 * database's reaping of an expired row does. A restart stops and starts the server on the same port and data.
 */
final class PostgresFixture implements TckFixture {
  /** One schema for every client of this fixture: clients of one test must meet in the same elections. */
  final String schema = "tck_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private final Duration sessionTimeout;
  PostgresServer server;

  PostgresFixture(Duration sessionTimeout) {
    this.sessionTimeout = sessionTimeout;
  }

  @Override
  public void start() throws Exception {
    server = PostgresServer.start(false);
  }

  @Override
  public List<String> endpoints() {
    return List.of(server.endpoint());
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("postgresql").endpoints(endpoints).root("/postgres/" + schema)
        .sessionTimeout(sessionTimeout).connectTimeout(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(3))
        .option(PostgresElectionProvider.USER, PostgresServer.USER).build();
  }

  @Override
  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.OPERATOR);
  }

  @Override
  public void expireSession(ElectionClient client) throws Exception {
    // No row (between an expiry and the next session, or reaped already): nothing left to expire.
    execute("DELETE FROM " + schema + ".sessions WHERE id = ?", client.sessionId());
  }

  @Override
  public void deleteTicket(String election, String candidateId) throws Exception {
    execute("DELETE FROM " + schema + ".tickets WHERE election = ? AND candidate = ?", election, candidateId);
  }

  /**
   * A row no Elector session owns (no {@code session_id}), as another tool could write into the table: SPEC rule
   * 4.8's foreign entry on PostgreSQL.
   */
  @Override
  public void putForeignEntry(String election, String name, byte[] value) throws Exception {
    execute("INSERT INTO " + schema + ".tickets (token, election, nonce, candidate, data) "
        + "VALUES (nextval('" + schema + ".tokens'), ?, gen_random_uuid(), ?, ?)", election, name, value);
  }

  @Override
  public void deleteElection(String election) throws Exception {
    execute("DELETE FROM " + schema + ".tickets WHERE election = ?", election);
  }

  @Override
  public void restart() throws Exception {
    server.stop();
    server.start();
  }

  private void execute(String sql, Object... args) throws SQLException {
    try (Connection c = PgAdmin.connect(server); PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      p.executeUpdate();
    }
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      server.close();
    }
  }
}
