package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.testservers.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The schema's triggers on a real PostgreSQL, seen from five listening connections standing for five clients with
 * one ticket each in one line: a ticket's delete wakes only its successor's client (herd-free) and its own, and a
 * session's delete takes its tickets and wakes their successors.
 */
class PgSchemaNotifyTest {
  private static final String S = "notify_test";
  private static PostgresServer server;

  @BeforeAll
  static void start() throws Exception {
    server = PostgresServer.start(false);
    try (Connection c = PgAdmin.connect(server)) {
      new PgSchema(S).ensure(c);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aDeleteWakesOnlyTheSuccessorAndTheOwner() throws Exception {
    List<Connection> clients = new ArrayList<>();
    List<Long> tokens = new ArrayList<>();
    List<Long> sessions = new ArrayList<>();
    try (Connection admin = PgAdmin.connect(server)) {
      for (int i = 0; i < 5; i++) {
        Connection c = PgAdmin.connect(server);
        clients.add(c);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN ch" + i);
        }
        long session = single(admin, "INSERT INTO " + S + ".sessions (channel, expires_at) "
            + "VALUES ('ch" + i + "', clock_timestamp() + interval '1 minute') RETURNING id");
        sessions.add(session);
        tokens.add(single(admin, "SELECT " + S + ".enqueue(" + session + ", 'line', gen_random_uuid(), 'c" + i
            + "', '\\x00')"));
      }
      assertThat(tokens).isSorted();
      drain(clients);

      single(admin, "WITH d AS (DELETE FROM " + S + ".tickets WHERE token = " + tokens.get(0) + " RETURNING 1) "
          + "SELECT count(*) FROM d");
      assertThat(received(clients.get(0), 5000)).containsExactly("gone:" + tokens.get(0));
      assertThat(received(clients.get(1), 5000)).containsExactly("next:" + tokens.get(1));
      for (int i = 2; i < 5; i++) {
        assertThat(received(clients.get(i), 300)).as("client %d woken by a handoff not its own", i).isEmpty();
      }

      // A session's end (close, or reaping after expiry) takes its ticket and wakes the next in line.
      single(admin, "WITH d AS (DELETE FROM " + S + ".sessions WHERE id = " + sessions.get(2) + " RETURNING 1) "
          + "SELECT count(*) FROM d");
      assertThat(received(clients.get(2), 5000)).containsExactly("expired:" + sessions.get(2));
      assertThat(received(clients.get(3), 5000)).containsExactly("next:" + tokens.get(3));
      assertThat(received(clients.get(1), 300)).isEmpty();
      assertThat(received(clients.get(4), 300)).isEmpty();
    } finally {
      for (Connection c : clients) {
        c.close();
      }
    }
  }

  private static long single(Connection c, String sql) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql); ResultSet r = p.executeQuery()) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void drain(List<Connection> clients) throws SQLException {
    for (Connection c : clients) {
      received(c, 300);
    }
  }

  /**
   * What the connection was sent, waiting up to {@code firstMillis} for the first notification (short where none
   * may come: the positive checks before it gave the server time to deliver).
   */
  private static List<String> received(Connection c, int firstMillis) throws SQLException {
    List<String> out = new ArrayList<>();
    PGNotification[] ns = c.unwrap(PGConnection.class).getNotifications(firstMillis);
    while (ns != null && ns.length > 0) {
      for (PGNotification n : ns) {
        out.add(n.getParameter());
      }
      ns = c.unwrap(PGConnection.class).getNotifications(50);
    }
    return out;
  }
}
