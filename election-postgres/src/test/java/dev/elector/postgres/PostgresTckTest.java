package dev.elector.postgres;

import dev.elector.tck.ElectionTck;
import dev.elector.tck.TckFixture;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;

/** The whole TCK against a real PostgreSQL 15, every client behind the kit's fault proxies. */
@DisplayName("Elector TCK on PostgreSQL")
class PostgresTckTest extends ElectionTck {
  @Override
  protected TckFixture fixture() {
    return new PostgresFixture(Duration.ofSeconds(2));
  }
}
