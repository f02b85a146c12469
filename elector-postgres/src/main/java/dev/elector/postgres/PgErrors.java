package dev.elector.postgres;

import dev.elector.AccessDeniedException;
import dev.elector.BackendUnavailableException;
import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.spi.support.Errors;
import java.io.IOException;
import java.sql.SQLException;

/** Turns the JDBC driver's errors into Elector's exception family, in this one place, keeping the cause. */
final class PgErrors {
  /** Raised by {@code <schema>.enqueue} when the session row has expired. */
  static final String SESSION_EXPIRED = "EL001";

  private PgErrors() {}

  /**
   * True if the connection failed (broken, timed out, refused), so the statement's fate may be unknown; false if
   * the database answered with an error.
   */
  static boolean connectionLost(Throwable t) {
    t = Errors.unwrap(t);
    if (t instanceof SQLException e) {
      String state = e.getSQLState();
      if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
          || state.equals("57P03"))) {
        return true; // connection exception, admin shutdown, crash shutdown, cannot connect now
      }
      return state == null && e.getCause() instanceof IOException;
    }
    return t instanceof IOException;
  }

  /** Whether the database refused the role: bad credentials or missing privileges. */
  static boolean denied(Throwable t) {
    t = Errors.unwrap(t);
    if (t instanceof SQLException e && e.getSQLState() != null) {
      String s = e.getSQLState();
      return s.startsWith("28") || s.equals("42501");
    }
    return false;
  }

  /**
   * Translates an error of {@code what} (a sentence fragment such as "enqueue in election 'x'").
   *
   * @param suspended whether the session is suspended now: a lost connection then means the session is lost for now
   */
  static ElectorException translate(Throwable error, String what, String endpoints, boolean suspended) {
    Throwable t = Errors.unwrap(error);
    if (t instanceof ElectorException e) {
      return e;
    }
    if (t instanceof SQLException e && SESSION_EXPIRED.equals(e.getSQLState())) {
      return new SessionLostException(what + " failed: the PostgreSQL session row expired", true, t);
    }
    if (denied(t)) {
      return new AccessDeniedException(what + " was refused by PostgreSQL at " + endpoints + " ("
          + ((SQLException) t).getSQLState() + "): check the user, password and the role's privileges on the "
          + "election schema", t);
    }
    if (connectionLost(t)) {
      String m = what + " failed: PostgreSQL at " + endpoints + " is unreachable (" + t.getMessage() + ")";
      return suspended ? new SessionLostException(m + "; the session is suspended", false, t)
          : new BackendUnavailableException(m, t);
    }
    String state = t instanceof SQLException e ? e.getSQLState() : t.getClass().getSimpleName();
    return new ElectorException(what + " failed: PostgreSQL answered " + state + ": " + t.getMessage(), t);
  }
}
