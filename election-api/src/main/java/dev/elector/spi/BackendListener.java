package dev.elector.spi;

/**
 * How a backend reports what happens to its session and tickets. The engine hands each call to its own thread at
 * once; implementations may call it from any thread, but must call it in the order things happened.
 */
public interface BackendListener {
  /** The session's liveness changed. */
  void sessionEvent(SessionEvent event);

  /**
   * A ticket of the current session vanished without {@link ElectionBackend#remove} being called for it: deleted
   * by an operator or another process. Any pending {@link ElectionBackend#awaitHead} of it completes exceptionally
   * with {@link TicketLostException} too.
   */
  void ticketLost(Ticket ticket);
}
