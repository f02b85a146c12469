package dev.elector.postgres;

import dev.elector.ClientConfig;
import dev.elector.testservers.PostgresServer;
import java.time.Duration;

/** The clients of the step-down margin tests ({@link dev.elector.tck.StepDownMargins}) on PostgreSQL. */
final class PgMargins {
  /** Their session timeout. */
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  private PgMargins() {}

  static ClientConfig config(String endpoint) {
    return ClientConfig.builder("postgresql").endpoints(endpoint).root("/postgres/margin")
        .sessionTimeout(TIMEOUT).option(PostgresElectionProvider.USER, PostgresServer.USER).build();
  }
}
