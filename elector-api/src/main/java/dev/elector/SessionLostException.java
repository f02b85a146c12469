package dev.elector;

/**
 * An operation could not complete because the client's session with the coordination service was suspended
 * (contact lost, the session may still live) or expired (its tickets are gone). {@link #expired()} tells which.
 */
public final class SessionLostException extends ElectorException {
  private static final long serialVersionUID = 1L;
  private final boolean expired;

  public SessionLostException(String message, boolean expired, Throwable cause) {
    super(message, cause);
    this.expired = expired;
  }

  public SessionLostException(String message, boolean expired) {
    this(message, expired, null);
  }

  /** True when the session is gone for good; false when it was only suspended and may recover. */
  public boolean expired() {
    return expired;
  }
}
