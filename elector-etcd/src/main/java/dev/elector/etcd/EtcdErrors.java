package dev.elector.etcd;

import dev.elector.AccessDeniedException;
import dev.elector.BackendUnavailableException;
import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.spi.support.Errors;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** Turns jetcd's and gRPC's errors into Elector's exception family, in this one place, keeping the cause. */
final class EtcdErrors {
  private EtcdErrors() {}

  /** True if etcd said the lease does not exist (it expired or was revoked). */
  static boolean leaseNotFound(Throwable t) {
    t = Errors.unwrap(t);
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && m.contains("requested lease not found")) {
        return true;
      }
    }
    return false;
  }

  /** The gRPC status code behind the error, by name ({@code UNKNOWN} when there is none). */
  static String code(Throwable t) {
    t = Errors.unwrap(t);
    if (t instanceof EtcdException e) {
      return e.getErrorCode().name();
    }
    return Status.fromThrowable(t).getCode().name();
  }

  /**
   * Translates an error of {@code what} (a sentence fragment such as "enqueue in election 'x'").
   *
   * @param suspended whether the session is suspended right now: an unreachable etcd then means the session is
   *     lost for now rather than a plain timeout
   */
  static ElectorException translate(
      Throwable error, String what, List<String> endpoints, Duration timeout, boolean suspended) {
    Throwable t = Errors.unwrap(error);
    if (t instanceof ElectorException e) {
      return e;
    }
    if (leaseNotFound(t)) {
      return new SessionLostException(what + " failed: the etcd lease expired", true, t);
    }
    if (t instanceof TimeoutException) {
      return unavailable(what + " failed: etcd at " + endpoints + " did not answer within " + timeout, t, suspended);
    }
    String code = code(t);
    String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
    switch (code) {
      case "PERMISSION_DENIED", "UNAUTHENTICATED" -> {
        return new AccessDeniedException(what + " was refused by etcd (" + code + "): check the username, password "
            + "and the user's permissions on the root prefix", t);
      }
      case "INVALID_ARGUMENT", "FAILED_PRECONDITION" -> {
        if (message.contains("authentication failed") || message.contains("invalid auth token")
            || message.contains("user name is empty") || message.contains("permission denied")) {
          return new AccessDeniedException(what + " was refused by etcd (authentication failed): check the "
              + "username and password", t);
        }
      }
      case "UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "ABORTED", "RESOURCE_EXHAUSTED" -> {
        return unavailable(what + " failed: etcd at " + endpoints + " is unavailable (" + code + ")", t, suspended);
      }
      default -> {}
    }
    return new ElectorException(what + " failed: etcd answered " + code + ": " + t.getMessage(), t);
  }

  private static ElectorException unavailable(String message, Throwable cause, boolean suspended) {
    return suspended
        ? new SessionLostException(message + "; the session is suspended", false, cause)
        : new BackendUnavailableException(message, cause);
  }
}
