package dev.elector.postgres;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import java.util.regex.Pattern;

/**
 * Where a client's elections live, read from {@link ClientConfig#root()}: {@code /<database>/<schema>[/<path>…]}.
 * The first segment names the database, the second the schema that holds Elector's tables; any further segments
 * are a namespace inside that schema, so that an application whose root is nested inside another's election keeps
 * its own lines (SPEC rule 4.8): election {@code E} under root {@code /db/s/a} is the line {@code a/E}.
 *
 * @param database the database name, as the JDBC URL takes it
 * @param schema the schema: a plain lower-case SQL identifier, safe to write into SQL unquoted
 * @param prefix prepended to every election name to form its line's name ({@code ""} or {@code "a/b/"})
 */
record PgLocation(String database, String schema, String prefix) {
  /** A plain SQL identifier that needs no quoting: PostgreSQL folds unquoted names to lower case. */
  static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /**
   * Reads the location from the root, before any I/O.
   *
   * @throws InvalidInputException naming the root and the rule
   */
  static PgLocation of(ClientConfig config) {
    String root = config.root();
    String[] seg = root.equals("/") ? new String[0] : root.substring(1).split("/");
    if (seg.length < 2) {
      throw new InvalidInputException("root", root, "must be /<database>/<schema>[/<namespace>…] on PostgreSQL, "
          + "for example /appdb/elector");
    }
    if (!IDENTIFIER.matcher(seg[1]).matches()) {
      throw new InvalidInputException("schema", seg[1], "must be a plain lower-case SQL identifier: "
          + "[a-z_][a-z0-9_]*, at most 63 characters (the second segment of the root " + root + ")");
    }
    StringBuilder prefix = new StringBuilder();
    for (int i = 2; i < seg.length; i++) {
      prefix.append(seg[i]).append('/');
    }
    return new PgLocation(seg[0], seg[1], prefix.toString());
  }

  /** The name of election {@code election}'s line in the tables. */
  String line(String election) {
    return prefix + election;
  }
}
