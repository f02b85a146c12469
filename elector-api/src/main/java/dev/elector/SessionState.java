package dev.elector;

/** The state of a client's session with the coordination service. */
public enum SessionState {
  /** Connected; the session is alive and its deadline is being renewed. */
  CONNECTED,
  /**
   * Contact lost; the session may still be alive on the server, so this client's tickets keep their places, but
   * every term held through it has ended (SPEC rule 1.4). Followed by {@link #CONNECTED} (same session) or
   * {@link #EXPIRED}.
   */
  SUSPENDED,
  /**
   * The session is gone and every ticket with it. The client opens a new session by itself and its candidates
   * rejoin at the back of their lines (SPEC rule 2.4); {@link #CONNECTED} follows once it is open.
   */
  EXPIRED,
  /** The client was closed. Final. */
  CLOSED
}
