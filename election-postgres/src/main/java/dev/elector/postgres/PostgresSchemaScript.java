package dev.elector.postgres;

import dev.elector.InvalidInputException;

/**
 * The SQL a DBA runs to set Elector's schema up ahead of time, for deployments whose application role may not
 * create objects. A client creates the schema itself on first use when its role may; otherwise run
 * {@link #create(String)} as the schema's owner and {@link #grant(String, String)} for each application role.
 * Row-level security then lets each role change only its own sessions and tickets (and reap expired sessions).
 */
public final class PostgresSchemaScript {
  private PostgresSchemaScript() {}

  /**
   * The statements that create every table, sequence, function, trigger and policy in {@code schema}; safe to run
   * again.
   *
   * @throws InvalidInputException if {@code schema} is not a plain lower-case SQL identifier
   */
  public static String create(String schema) {
    return new PgSchema(check("schema", schema)).ddl();
  }

  /**
   * The grants a least-privilege {@code role} needs to take part in {@code schema}'s elections.
   *
   * @throws InvalidInputException if {@code schema} or {@code role} is not a plain lower-case SQL identifier
   */
  public static String grant(String schema, String role) {
    return new PgSchema(check("schema", schema)).grants(check("role", role));
  }

  static String check(String what, String identifier) {
    java.util.Objects.requireNonNull(identifier, what);
    if (!PgLocation.IDENTIFIER.matcher(identifier).matches()) {
      throw new InvalidInputException(what, identifier,
          "must be a plain lower-case SQL identifier: [a-z_][a-z0-9_]*, at most 63 characters");
    }
    return identifier;
  }
}
