package dev.elector;

import java.time.Duration;

/** A blocking wait ended because its timeout passed. {@link #timeout()} is the timeout that passed. */
public final class ElectorTimeoutException extends ElectorException {
  private static final long serialVersionUID = 1L;
  private final Duration timeout;

  public ElectorTimeoutException(String message, Duration timeout) {
    super(message);
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }
}
