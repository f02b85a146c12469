package dev.elector.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * Fencing for SQL tables: a write guarded by a leader's token ({@code Leadership.token()}) happens only if the token
 * is at least the highest token seen for the resource, so a deposed leader that still believes it leads (a long
 * pause, a partition) cannot overwrite its successor's work.
 *
 * <p>The highest token per resource lives in a table {@code <schema>.<table>(resource text primary key, token
 * bigint)} in the same database as the guarded data. {@link #write} raises the resource's token and runs the
 * caller's statements in one transaction: the row lock taken by the raise orders concurrent writers of one resource,
 * and a lower token changes nothing and is reported as rejected. Equal tokens pass: the same term may write many
 * times. The guarded data must be written through the same connection, inside {@code work}.
 *
 * <pre>{@code
 * SqlFence fence = new SqlFence("app", "fences");
 * boolean written = fence.write(connection, "invoices", leadership.token(),
 *     c -> { try (var p = c.prepareStatement("UPDATE app.invoices SET …")) { p.executeUpdate(); } });
 * }</pre>
 */
public final class SqlFence {
  /** Statements run inside a fenced transaction. */
  @FunctionalInterface
  public interface Work {
    /** Writes through {@code c}; must not commit or roll back. */
    void run(Connection c) throws SQLException;
  }

  private final String table;
  private final String raise;

  /**
   * A fence whose tokens live in {@code schema.table}.
   *
   * @throws dev.elector.InvalidInputException if a name is not a plain lower-case SQL identifier
   */
  public SqlFence(String schema, String table) {
    this.table = PostgresSchemaScript.check("schema", schema) + "." + PostgresSchemaScript.check("table", table);
    this.raise = "INSERT INTO " + this.table + " (resource, token) VALUES (?, ?) ON CONFLICT (resource) DO UPDATE "
        + "SET token = EXCLUDED.token WHERE " + this.table + ".token <= EXCLUDED.token RETURNING token";
  }

  /** Creates the token table if it is missing (the schema must exist). */
  public void createTable(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + table + " (resource text PRIMARY KEY, token bigint NOT NULL)");
    }
  }

  /**
   * Runs {@code work} in one transaction if {@code token} is at least the highest token seen for {@code resource},
   * recording it as the highest; otherwise writes nothing. Restores the connection's auto-commit mode.
   *
   * @return true if {@code work} ran and committed; false if the token was lower (a deposed leader)
   * @throws SQLException if the database or {@code work} failed; the transaction is rolled back
   */
  public boolean write(Connection c, String resource, long token, Work work) throws SQLException {
    Objects.requireNonNull(c, "connection");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(work, "work");
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      boolean admitted;
      try (PreparedStatement p = c.prepareStatement(raise)) {
        p.setString(1, resource);
        p.setLong(2, token);
        try (ResultSet r = p.executeQuery()) {
          admitted = r.next();
        }
      }
      if (!admitted) {
        c.rollback();
        return false;
      }
      work.run(c);
      c.commit();
      return true;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /** The highest token seen for {@code resource}, or {@link Long#MIN_VALUE} if none. */
  public long highestToken(Connection c, String resource) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT token FROM " + table + " WHERE resource = ?")) {
      p.setString(1, resource);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? r.getLong(1) : Long.MIN_VALUE;
      }
    }
  }
}
