package dev.elector.etcd;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import dev.elector.spi.EngineLoop;
import dev.elector.spi.support.Endpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * The etcd backend's {@link java.util.ServiceLoader} entry: scheme {@code etcd}, for example
 * {@code etcd://h1:2379,h2:2379/my-app?sessionTimeout=10s}.
 *
 * <p>A session is one etcd lease whose TTL is the session timeout (rounded up to whole seconds). The backend renews
 * the lease itself and computes the session deadline from when each renewal was <em>sent</em>, on the monotonic
 * clock, less a safety margin. Each candidate is a key {@code <root>/<election>/<lease-hex>-<uuid>} attached to
 * the lease; its create revision is the fencing token.
 *
 * <p>Options (besides the core ones of {@link ClientConfig}):
 *
 * <ul>
 *   <li>{@code username}, {@code password}: etcd user credentials (both or neither); never printed.
 *   <li>{@code tls=true}: talk TLS ({@code https}) to every endpoint; {@code caFile}: PEM file of the CA to trust
 *       (default: the JVM's trust store); {@code certFile} and {@code keyFile}: PEM client certificate and
 *       PKCS#8 private key for client-certificate authentication (both or neither).
 * </ul>
 *
 * <p>etcd 3.4 with default flags grants no lease shorter than 2 s, so a session timeout below 2 s is rejected.
 */
public final class EtcdElectionProvider implements ElectionProvider {
  /** etcd's smallest lease TTL with default flags: ceil(1.5 × election timeout of 1 s). */
  static final Duration MIN_SESSION_TIMEOUT = Duration.ofSeconds(2);

  static final String USERNAME = "username";
  static final String PASSWORD = "password";
  static final String TLS = "tls";
  static final String CA_FILE = "caFile";
  static final String CERT_FILE = "certFile";
  static final String KEY_FILE = "keyFile";

  /** Does no I/O. */
  public EtcdElectionProvider() {}

  @Override
  public String scheme() {
    return "etcd";
  }

  @Override
  public String artifact() {
    return "dev.elector:elector-etcd";
  }

  @Override
  public Set<String> options() {
    return Set.of(USERNAME, PASSWORD, TLS, CA_FILE, CERT_FILE, KEY_FILE);
  }

  @Override
  public void validate(ClientConfig config) {
    for (String e : config.endpoints()) {
      Endpoints.check(e, 2379);
    }
    if (config.sessionTimeout().compareTo(MIN_SESSION_TIMEOUT) < 0) {
      throw new InvalidInputException("sessionTimeout", config.sessionTimeout(),
          "must be at least 2s: etcd 3.4 with default flags grants no lease shorter than 2 seconds");
    }
    boolean user = config.option(USERNAME).isPresent();
    boolean password = config.option(PASSWORD).isPresent();
    if (user != password) {
      // The value of a password is never shown, only whether it is there.
      throw new InvalidInputException(user ? PASSWORD : USERNAME, null,
          "must be set together with " + (user ? USERNAME : PASSWORD));
    }
    if (user && config.option(USERNAME).get().isBlank()) {
      throw new InvalidInputException(USERNAME, config.option(USERNAME).get(), "must not be blank");
    }
    String tls = config.option(TLS).orElse("false");
    if (!tls.equals("true") && !tls.equals("false")) {
      throw new InvalidInputException(TLS, tls, "must be true or false");
    }
    boolean cert = config.option(CERT_FILE).isPresent();
    boolean key = config.option(KEY_FILE).isPresent();
    if (cert != key) {
      throw new InvalidInputException(cert ? KEY_FILE : CERT_FILE, null,
          "must be set together with " + (cert ? CERT_FILE : KEY_FILE));
    }
    for (String f : new String[] {CA_FILE, CERT_FILE, KEY_FILE}) {
      var file = config.option(f);
      if (file.isEmpty()) {
        continue;
      }
      if (tls.equals("false")) {
        throw new InvalidInputException(f, file.get(), "needs tls=true");
      }
      if (!Files.isReadable(Path.of(file.get()))) {
        throw new InvalidInputException(f, file.get(), "must name a readable PEM file");
      }
    }
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener) {
    validate(config);
    return EtcdBackend.open(config, listener, new Loop());
  }

  /** Runs the backend on the engine's loop: a watch event crosses one thread hand-off to reach the engine. */
  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener, EngineLoop loop) {
    validate(config);
    return EtcdBackend.open(config, listener, new Loop(loop));
  }
}
