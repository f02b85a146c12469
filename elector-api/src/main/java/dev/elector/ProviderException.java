package dev.elector;

/**
 * Backend discovery failed: no provider on the class path, none for the URI's scheme, two for one scheme, or a
 * provider that failed to load (SPEC rule 4.4). The message names what was found and which artifact to add.
 */
public final class ProviderException extends ElectorException {
  private static final long serialVersionUID = 1L;

  public ProviderException(String message) {
    super(message);
  }

  public ProviderException(String message, Throwable cause) {
    super(message, cause);
  }
}
