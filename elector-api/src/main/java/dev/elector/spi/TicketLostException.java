package dev.elector.spi;

import dev.elector.ElectorException;

/**
 * The ticket is no longer in line: removed by {@link ElectionBackend#remove}, deleted by someone else, or gone
 * with its session. The engine answers by rejoining at the back (unless the candidate is closing).
 */
public final class TicketLostException extends ElectorException {
  private static final long serialVersionUID = 1L;

  public TicketLostException(String message) {
    super(message);
  }

  public TicketLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
