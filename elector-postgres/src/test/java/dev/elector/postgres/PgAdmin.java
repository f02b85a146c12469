package dev.elector.postgres;

import dev.elector.testservers.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** The tests' superuser connection straight to a {@link PostgresServer} (no proxy), as an operator's {@code psql}. */
final class PgAdmin {
  private PgAdmin() {}

  static Connection connect(PostgresServer server) throws SQLException {
    return DriverManager.getConnection(PostgresServer.jdbcUrl(server.endpoint()));
  }
}
