package dev.elector.spi.support;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Exceptions that futures wrap around the failure that matters. */
public final class Errors {
  private Errors() {}

  /**
   * The failure inside any {@link CompletionException} and {@link ExecutionException} wrappers.
   *
   * @param t a failure, possibly wrapped; may be null
   * @return the innermost failure that is not such a wrapper with a cause ({@code t} itself if it is none)
   */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
