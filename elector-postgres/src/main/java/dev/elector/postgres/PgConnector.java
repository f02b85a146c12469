package dev.elector.postgres;

import dev.elector.ClientConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Opens JDBC connections to the configured servers. Credentials travel in the driver's properties, never in the
 * URL, so no message that quotes the URL can show the password.
 */
final class PgConnector {
  private final String url;
  private final Properties properties = new Properties();
  private final String endpoints;

  PgConnector(ClientConfig config, PgLocation location) {
    this.endpoints = String.join(",", config.endpoints());
    this.url = "jdbc:postgresql://" + endpoints + "/" + location.database();
    config.option(PostgresElectionProvider.USER).ifPresent(u -> properties.setProperty("user", u));
    config.option(PostgresElectionProvider.PASSWORD).ifPresent(p -> properties.setProperty("password", p));
    // The driver counts these in whole seconds; the backend enforces the exact connect timeout itself.
    String seconds = Long.toString(Math.max(1, (config.connectTimeout().toMillis() + 999) / 1000));
    properties.setProperty("connectTimeout", seconds);
    properties.setProperty("loginTimeout", seconds);
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("ApplicationName", "elector");
    // Of several hosts, only a primary: a standby refuses every write, so connecting to one could only fail later.
    properties.setProperty("targetServerType", "primary");
  }

  /** The servers, for messages. */
  String endpoints() {
    return endpoints;
  }

  /**
   * A new autocommit connection whose every read gives up after {@code networkTimeout} (the driver then closes
   * it), so no call blocks longer on a partitioned network.
   */
  Connection connect(Duration networkTimeout) throws SQLException {
    Connection c = new org.postgresql.Driver().connect(url, properties);
    if (c == null) {
      throw new SQLException("the PostgreSQL driver did not accept " + url, "08001");
    }
    c.setNetworkTimeout(Runnable::run, (int) Math.max(200, networkTimeout.toMillis()));
    return c;
  }

  /** Closes {@code c} from any thread, without waiting for a call in progress on it. */
  static void abort(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.abort(Runnable::run);
    } catch (SQLException | RuntimeException ignored) {
      // Already closed or broken: nothing left to release.
    }
  }
}
