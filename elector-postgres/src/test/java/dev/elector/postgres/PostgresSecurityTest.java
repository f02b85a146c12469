package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.AccessDeniedException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.testservers.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Least-privilege roles on a real PostgreSQL: each role changes only its own rows (row-level security), a role
 * without grants is refused with {@link AccessDeniedException} and no password in the message, and a role may
 * still reap another role's expired session so that failover does not depend on who crashed.
 */
class PostgresSecurityTest {
  private static final String SCHEMA = "sec";
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static PostgresServer server;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.start(false);
    try (ElectionClient owner = Elections.connect(config(server.endpoint(), PostgresServer.USER, null));
        Connection admin = PgAdmin.connect(server); Statement s = admin.createStatement()) {
      assertThat(owner.sessionId()).isNotZero(); // the owner's first connect created the schema
      for (String role : new String[] {"alice", "bob", "mallory"}) {
        s.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + role + "-secret-pw'");
      }
      s.execute(PostgresSchemaScript.grant(SCHEMA, "alice"));
      s.execute(PostgresSchemaScript.grant(SCHEMA, "bob"));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static ClientConfig config(String endpoint, String user, String password) {
    ClientConfig.Builder b = ClientConfig.builder("postgresql").endpoints(endpoint).root("/postgres/" + SCHEMA)
        .sessionTimeout(TIMEOUT).connectTimeout(Duration.ofSeconds(5)).option(PostgresElectionProvider.USER, user);
    if (password != null) {
      b.option(PostgresElectionProvider.PASSWORD, password);
    }
    return b.build();
  }

  private static Connection as(String role) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + server.endpoint() + "/postgres?user=" + role);
  }

  @Test
  void anotherRoleCannotDeleteChangeOrJoinThroughSomeoneElsesRows() throws Exception {
    try (ElectionClient alice = Elections.connect(config(server.endpoint(), "alice", "alice-secret-pw"));
        Candidate a = alice.election("rls").join("a"); Connection bob = as("bob")) {
      Leadership term = a.awaitLeadership(Duration.ofSeconds(10));
      try (PreparedStatement p = bob.prepareStatement("DELETE FROM sec.tickets WHERE candidate = 'a'")) {
        assertThat(p.executeUpdate()).as("bob deleted alice's ticket").isZero();
      }
      try (PreparedStatement p = bob.prepareStatement("UPDATE sec.tickets SET data = '\\x00' WHERE candidate = 'a'")) {
        assertThat(p.executeUpdate()).as("bob changed alice's ticket").isZero();
      }
      try (PreparedStatement p = bob.prepareStatement("DELETE FROM sec.sessions WHERE id = ?")) {
        p.setLong(1, alice.sessionId());
        assertThat(p.executeUpdate()).as("bob ended alice's live session").isZero();
      }
      try (PreparedStatement p = bob.prepareStatement("INSERT INTO sec.tickets "
          + "(token, election, session_id, nonce, candidate, data) "
          + "VALUES (nextval('sec.tokens'), 'rls', ?, gen_random_uuid(), 'b', '\\x00')")) {
        p.setLong(1, alice.sessionId());
        assertThatThrownBy(p::executeUpdate).as("bob joined through alice's session")
            .isInstanceOf(SQLException.class).hasMessageContaining("row-level security");
      }
      assertThat(term.isValid()).isTrue();
      assertThat(alice.election("rls").participants().toCompletableFuture().get()).hasSize(1);
    }
  }

  @Test
  void aRoleWithoutGrantsIsRefusedWithoutShowingItsPassword() {
    assertThatThrownBy(() -> Elections.connect(config(server.endpoint(), "mallory", "mallory-secret-pw")))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("42501")
        .hasMessageNotContaining("mallory-secret-pw");
  }

  private static boolean sessionExists(long id) throws SQLException {
    try (Connection c = PgAdmin.connect(server);
        PreparedStatement p = c.prepareStatement("SELECT 1 FROM sec.sessions WHERE id = ?")) {
      p.setLong(1, id);
      return p.executeQuery().next();
    }
  }

  @Test
  void anotherRoleReapsACutOffLeadersExpiredSession() throws Exception {
    try (FaultProxy proxy = FaultProxy.start(server.endpoint());
        ElectionClient alice = Elections.connect(config(proxy.endpoint(), "alice", "alice-secret-pw"));
        ElectionClient bob = Elections.connect(config(server.endpoint(), "bob", "bob-secret-pw"));
        Candidate a = alice.election("reap").join("a")) {
      Leadership first = a.awaitLeadership(Duration.ofSeconds(10));
      long aliceSession = alice.sessionId();
      try (Candidate b = bob.election("reap").join("b")) {
        b.joined().toCompletableFuture().get();
        proxy.partition();
        // Only bob's renewals can reap alice's row (alice's client cannot reach the server).
        Leadership second = b.awaitLeadership(TIMEOUT.multipliedBy(3));
        assertThat(first.isValid()).as("the cut-off leader is still valid once its successor leads").isFalse();
        assertThat(second.token()).isGreaterThan(first.token());
        // Alice's client cannot reach the server: only bob's renewals can have deleted her expired row.
        Awaitility.await().atMost(TIMEOUT.multipliedBy(2)).until(() -> !sessionExists(aliceSession));
      }
    }
  }
}
