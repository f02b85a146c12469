package dev.elector.spi;

import dev.elector.ClientConfig;
import java.util.Set;

/**
 * The {@link java.util.ServiceLoader} entry point of a backend. Register it in
 * {@code META-INF/services/dev.elector.spi.ElectionProvider} and with {@code provides} in {@code module-info}.
 * Must have a public no-argument constructor that does no I/O.
 */
public interface ElectionProvider {
  /** The URI scheme this provider serves, in lower case, for example {@code zookeeper}. */
  String scheme();

  /** The Maven coordinates of the artifact that holds this provider, for error messages. */
  String artifact();

  /** The backend-specific option names this provider accepts (see {@link ClientConfig#options()}). */
  default Set<String> options() {
    return Set.of();
  }

  /**
   * Checks backend-specific rules (endpoint format, minimum session timeout, option values) before any I/O.
   * Unknown option names have already been rejected against {@link #options()}.
   *
   * @throws dev.elector.InvalidInputException naming the value and the rule
   */
  default void validate(ClientConfig config) {}

  /**
   * Opens a session. Blocks at most {@link ClientConfig#connectTimeout()}; returns only with a live session.
   * Session events (see {@link BackendListener}) may be delivered before this returns.
   *
   * @throws dev.elector.BackendUnavailableException if no session could be opened in time
   * @throws dev.elector.AccessDeniedException if the credentials were refused
   */
  ElectionBackend connect(ClientConfig config, BackendListener listener);

  /**
   * Opens a session whose work may run on the engine's {@code loop} instead of a thread of the backend's own; the
   * engine calls this one. A backend that takes the loop keeps to its rules (see {@link EngineLoop}); one that does
   * not need not override this: by default it ignores the loop and calls {@link #connect(ClientConfig,
   * BackendListener)}.
   */
  default ElectionBackend connect(ClientConfig config, BackendListener listener, EngineLoop loop) {
    return connect(config, listener);
  }
}
