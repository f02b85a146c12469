package dev.elector;

/**
 * The root of Elector's exception family. Every failure Elector reports, synchronously or by completing a
 * {@link java.util.concurrent.CompletionStage} exceptionally, is an instance of this class or a subclass, with a
 * message that says what failed and why; a backend's own exception is kept as the cause.
 */
public class ElectorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ElectorException(String message) {
    super(message);
  }

  public ElectorException(String message, Throwable cause) {
    super(message, cause);
  }
}
