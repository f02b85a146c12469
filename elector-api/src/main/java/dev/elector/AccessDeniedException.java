package dev.elector;

/**
 * The coordination service refused the operation for lack of credentials or permission. The message never
 * contains the credentials.
 */
public final class AccessDeniedException extends ElectorException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
