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
   * @param name the election's name
   * @return the handle
   * @throws NullPointerException if {@code name} is null
   * @throws InvalidInputException if the name breaks the rules of SPEC rule 4.3 (see {@link InputRules})
   * @throws ClosedException if the client is closed
   */
  Election election(String name);

  /** The session's state now. */
  SessionState sessionState();

  /** The backend's id for the current session (a ZooKeeper session id, an etcd lease id); 0 if none. */
  long sessionId();

  /**
   * Registers a listener for session state changes; it is first told the current state (SPEC rule 3.6).
   *
   * @param executor where the listener's callbacks run
   * @param listener the listener
   * @return the registration, to cancel it
   * @throws NullPointerException if {@code executor} or {@code listener} is null
   * @throws ClosedException if the client is closed
   */
  Subscription addSessionListener(Executor executor, SessionListener listener);

  /**
   * Closes every candidate of this client (each removes its ticket), cancels its observers and ends the session.
   * Idempotent; waits at most the operation timeout for tickets to be removed.
   */
  @Override
  void close();
}
