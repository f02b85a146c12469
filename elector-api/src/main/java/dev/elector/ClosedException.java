package dev.elector;

/** A client, election handle or candidate was used after {@code close()} (SPEC rule 4.1). */
public final class ClosedException extends ElectorException {
  private static final long serialVersionUID = 1L;

  public ClosedException(String message) {
    super(message);
  }
}
