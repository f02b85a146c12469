package dev.elector;

/**
 * The coordination service could not be reached, or did not answer within the configured timeout (SPEC rule 4.5).
 */
public final class BackendUnavailableException extends ElectorException {
  private static final long serialVersionUID = 1L;

  public BackendUnavailableException(String message) {
    super(message);
  }

  public BackendUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
