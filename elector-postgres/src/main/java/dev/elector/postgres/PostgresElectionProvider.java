package dev.elector.postgres;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import dev.elector.spi.support.Endpoints;
import java.time.Duration;
import java.util.Set;

/**
 * The PostgreSQL backend's {@link java.util.ServiceLoader} entry: scheme {@code postgresql}, for example
 * {@code postgresql://db1:5432/appdb/elector?sessionTimeout=10s&user=app&password=…}. The authority lists the
 * servers ({@code host:port}, several for the driver's multi-host failover); the root's first segment names the
 * database and its second the schema holding Elector's tables (see {@link PgLocation}).
 *
 * <p>A session is a row of {@code <schema>.sessions} whose expiry the database judges on its own clock; tickets are
 * rows of {@code <schema>.tickets} numbered by a sequence (the fencing token). The module's README states the
 * semantics and the clock assumption.
 *
 * <p>Options (besides the core ones of {@link ClientConfig}): {@code user} and {@code password}, the database role's
 * credentials (the password is never printed).
 */
public final class PostgresElectionProvider implements ElectionProvider {
  /** Below this the renewal period (a third) nears a loaded database's commit latency. */
  static final Duration MIN_SESSION_TIMEOUT = Duration.ofMillis(500);
  static final String USER = "user";
  static final String PASSWORD = "password";

  /** Does no I/O. */
  public PostgresElectionProvider() {}

  @Override
  public String scheme() {
    return "postgresql";
  }

  @Override
  public String artifact() {
    return "dev.elector:elector-postgres";
  }

  @Override
  public Set<String> options() {
    return Set.of(USER, PASSWORD);
  }

  @Override
  public void validate(ClientConfig config) {
    for (String e : config.endpoints()) {
      Endpoints.check(e, 5432);
    }
    PgLocation.of(config);
    if (config.sessionTimeout().compareTo(MIN_SESSION_TIMEOUT) < 0) {
      throw new InvalidInputException("sessionTimeout", config.sessionTimeout(),
          "must be at least 500ms on PostgreSQL: the session is renewed every third of it by a commit");
    }
    if (config.option(USER).map(String::isBlank).orElse(false)) {
      throw new InvalidInputException(USER, config.option(USER).get(), "must not be blank");
    }
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener) {
    validate(config);
    return PostgresBackend.open(config, PgLocation.of(config), listener);
  }
}
