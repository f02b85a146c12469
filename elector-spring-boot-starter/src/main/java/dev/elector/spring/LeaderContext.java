package dev.elector.spring;

import dev.elector.Leadership;
import java.util.Optional;

/** The term under which a {@link LeaderOnly} method runs, bound to the calling thread for the length of the call. */
public final class LeaderContext {
  private static final ThreadLocal<Leadership> TERM = new ThreadLocal<>();

  private LeaderContext() {}

  /**
   * The term the current {@link LeaderOnly} call was admitted under; empty outside such a call. It may have ended
   * since: check {@link Leadership#isValid()}.
   */
  public static Optional<Leadership> currentTerm() {
    return Optional.ofNullable(TERM.get());
  }

  /** Binds {@code term} to this thread and returns what was bound before, for {@link #restore}. */
  static Leadership bind(Leadership term) {
    Leadership previous = TERM.get();
    TERM.set(term);
    return previous;
  }

  static void restore(Leadership previous) {
    if (previous == null) {
      TERM.remove();
    } else {
      TERM.set(previous);
    }
  }
}
