package dev.elector;

import java.util.concurrent.Executor;

/**
 * One session with a coordination service, shared by every election and candidate created through it. Obtain one
 * with {@link Elections#connect(String)}. Thread-safe.
 */
public interface ElectionClient extends AutoCloseable {
  /** The configuration this client was built from. */
  ClientConfig config();

  /**
   * A handle on the named election.
   *
   * @throws InvalidInputException if the name breaks the rules of SPEC rule 4.3
   * @throws ClosedException if the client is closed
   */
  Election election(String name);

  /** The session's state now. */
  SessionState sessionState();

  /** The backend's id for the current session (a ZooKeeper session id, an etcd lease id); 0 if none. */
  long sessionId();

  /** Registers a listener for session state changes; it is first told the current state. */
  Subscription addSessionListener(Executor executor, SessionListener listener);

  /**
   * Closes every candidate of this client (each removes its ticket), cancels its observers and ends the session.
   * Idempotent; waits at most the operation timeout for tickets to be removed.
   */
  @Override
  void close();
}
