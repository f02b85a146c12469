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
   *
   * <p>This call reaches the engine through its queue, so a term held on the ticket stays valid until the engine
   * runs it. When the ticket may be leading, its successor can be told of the same delete at the same moment on
   * its own connection; to end the term on this first notice (SPEC rule 1.3) make {@link
   * ElectionBackend#sessionDeadline()} lie in the past, call this, report {@link SessionEvent.Kind#SUSPENDED}, then
   * {@link SessionEvent.Kind#RECOVERED} once the deadline is restored, as the in-memory backend does.
   */
  void ticketLost(Ticket ticket);
}
