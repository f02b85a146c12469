package dev.elector.spi;

/**
 * A change in a backend session's liveness.
 *
 * @param kind what happened
 * @param sessionId the session it happened to (for {@link Kind#CONNECTED}: the new session)
 */
public record SessionEvent(Kind kind, long sessionId) {
  public enum Kind {
    /** A session is open; after {@link #EXPIRED}, this is a new session and every old ticket is gone. */
    CONNECTED,
    /**
     * Contact lost; the session may live on. The backend must make {@link ElectionBackend#sessionDeadline()} lie
     * in the past <em>before</em> delivering this event (SPEC rule 1.4).
     */
    SUSPENDED,
    /** Contact regained with the same session; its tickets kept their places. */
    RECOVERED,
    /**
     * The session is gone, with all its tickets. The backend opens a new session by itself (with backoff) and
     * reports {@link #CONNECTED} when it is open.
     */
    EXPIRED,
    /** The backend was closed. Final. */
    CLOSED
  }
}
