package dev.elector.zookeeper;

import dev.elector.AccessDeniedException;
import dev.elector.BackendUnavailableException;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.spi.TicketLostException;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;

/** The one place where ZooKeeper's errors become Elector's exceptions, keeping the cause. */
final class ZkErrors {
  private ZkErrors() {}

  /** A ZooKeeper result code for {@code path} while doing {@code what}. */
  static ElectorException translate(String what, KeeperException.Code code, String path) {
    return translate(what, KeeperException.create(code, path));
  }

  /**
   * Translates {@code cause} (a {@link KeeperException}, a {@link TimeoutException} or anything else the client
   * threw) met while doing {@code what}.
   */
  static ElectorException translate(String what, Throwable cause) {
    if (cause instanceof ElectorException e) {
      return e;
    }
    if (cause instanceof KeeperException k) {
      String msg = what + " failed: " + k.getMessage();
      return switch (k.code()) {
        case CONNECTIONLOSS -> new SessionLostException(msg + " (session suspended, it may recover)", false, k);
        case SESSIONEXPIRED, SESSIONMOVED, SESSIONCLOSEDREQUIRESASLAUTH ->
            new SessionLostException(msg + " (session expired)", true, k);
        case NOAUTH, AUTHFAILED, INVALIDACL -> new AccessDeniedException(msg, k);
        case NONODE -> new TicketLostException(msg + " (the ticket is no longer in line)", k);
        case OPERATIONTIMEOUT, REQUESTTIMEOUT, THROTTLEDOP, QUOTAEXCEEDED ->
            new BackendUnavailableException(msg, k);
        default -> new ElectorException(msg, k);
      };
    }
    if (cause instanceof TimeoutException t) {
      return new BackendUnavailableException(what + " failed: no answer from ZooKeeper in time: " + t.getMessage(),
          t);
    }
    return new BackendUnavailableException(what + " failed: " + cause, cause);
  }

  static ClosedException closed(String what) {
    return new ClosedException(what + " failed: the ZooKeeper backend is closed");
  }
}
