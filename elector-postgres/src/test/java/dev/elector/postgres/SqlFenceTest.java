package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.testservers.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SqlFence} on a real PostgreSQL with real Elector terms: a leader cut off by a partition keeps its token,
 * its successor writes, and the old leader's write that arrives afterwards is rejected and changes nothing.
 */
class SqlFenceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static PostgresServer server;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.start(false);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static ClientConfig config(String endpoint) {
    return ClientConfig.builder("postgresql").endpoints(endpoint).root("/postgres/fence_elector")
        .sessionTimeout(TIMEOUT).option(PostgresElectionProvider.USER, PostgresServer.USER).build();
  }

  private static void write(Connection c, String value) throws java.sql.SQLException {
    try (PreparedStatement p = c.prepareStatement("UPDATE app.config SET value = ? WHERE id = 1")) {
      p.setString(1, value);
      p.executeUpdate();
    }
  }

  @Test
  void aCutOffLeadersWriteIsRejectedAfterItsSuccessorWrote() throws Exception {
    SqlFence fence = new SqlFence("app", "fences");
    try (Connection db = PgAdmin.connect(server); Statement s = db.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS app");
      s.execute("CREATE TABLE app.config (id int PRIMARY KEY, value text)");
      s.execute("INSERT INTO app.config VALUES (1, 'initial')");
      fence.createTable(db);
      try (FaultProxy proxy = FaultProxy.start(server.endpoint());
          ElectionClient oldClient = Elections.connect(config(proxy.endpoint()));
          ElectionClient newClient = Elections.connect(config(server.endpoint()));
          Candidate old = oldClient.election("config-writer").join("old")) {
        Leadership oldTerm = old.awaitLeadership(Duration.ofSeconds(10));
        assertThat(fence.write(db, "config", oldTerm.token(), c -> write(c, "by old"))).isTrue();
        try (Candidate successor = newClient.election("config-writer").join("new")) {
          successor.joined().toCompletableFuture().get();
          proxy.partition();
          Leadership newTerm = successor.awaitLeadership(TIMEOUT.multipliedBy(3));
          assertThat(fence.write(db, "config", newTerm.token(), c -> write(c, "by new"))).isTrue();
          // The old leader, paused or cut off, still tries with its token: refused, nothing written.
          assertThat(fence.write(db, "config", oldTerm.token(), c -> write(c, "stale"))).isFalse();
          assertThat(fence.highestToken(db, "config")).isEqualTo(newTerm.token());
        }
      }
      try (ResultSet r = s.executeQuery("SELECT value FROM app.config WHERE id = 1")) {
        r.next();
        assertThat(r.getString(1)).isEqualTo("by new");
      }
      assertThat(db.getAutoCommit()).isTrue();
    }
  }
}
