package dev.elector;

import dev.elector.internal.Discovery;
import dev.elector.internal.EngineClient;
import dev.elector.spi.ElectionProvider;

/**
 * The entry point: connects to a coordination service chosen by the URI's scheme, using the backend module found
 * on the class path (or module path) with {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * try (ElectionClient client = Elections.connect("zookeeper://localhost:2181/my-app?sessionTimeout=10s");
 *      Candidate me = client.election("scheduler").join("node-1")) {
 *   Leadership term = me.awaitLeadership(Duration.ofMinutes(1));
 *   while (term.isValid()) { doLeaderWork(term.token()); }
 * }
 * }</pre>
 */
public final class Elections {
  private Elections() {}

  /**
   * Parses the URI (see {@link ClientConfig#parse}) and connects.
   *
   * @param uri the URI, for example {@code zookeeper://localhost:2181/my-app}
   * @return the connected client
   * @throws NullPointerException if {@code uri} is null
   * @throws InvalidInputException if the URI is malformed, before any I/O
   * @throws ProviderException if no backend, or more than one, serves the URI's scheme
   * @throws BackendUnavailableException if no session could be opened within the connect timeout
   */
  public static ElectionClient connect(String uri) {
    return connect(ClientConfig.parse(uri));
  }

  /**
   * Connects with the given config; fails as {@link #connect(String)} does.
   *
   * @param config the configuration
   * @return the connected client
   * @throws NullPointerException if {@code config} is null
   */
  public static ElectionClient connect(ClientConfig config) {
    java.util.Objects.requireNonNull(config, "config");
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    ElectionProvider provider =
        Discovery.provider(config.scheme(), context != null ? context : Elections.class.getClassLoader());
    Discovery.validate(provider, config);
    return EngineClient.connect(provider, config);
  }
}
