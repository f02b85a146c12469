package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.Elections;
import dev.elector.InvalidInputException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The provider's input rules (SPEC rule 4.3), all checked before any I/O, and its URI form. */
class PostgresProviderTest {
  private final PostgresElectionProvider provider = new PostgresElectionProvider();

  private static ClientConfig parse(String uri) {
    return ClientConfig.parse(uri);
  }

  @Test
  void rootNamesTheDatabaseThenTheSchemaThenANamespace() {
    PgLocation l = PgLocation.of(parse("postgresql://db1:5432/appdb/elector/billing/eu?user=app"));
    assertThat(l).isEqualTo(new PgLocation("appdb", "elector", "billing/eu/"));
    assertThat(l.line("jobs")).isEqualTo("billing/eu/jobs");
    assertThat(PgLocation.of(parse("postgresql://db1:5432/appdb/elector")).line("jobs")).isEqualTo("jobs");
  }

  @Test
  void badValuesAreRejectedNamingTheValueAndTheRule() {
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:5432/appdb")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("/appdb").hasMessageContaining("<schema>");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:5432/appdb/Elector")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("Elector")
        .hasMessageContaining("lower-case SQL identifier");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:5432/appdb/my-app")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("my-app");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1/appdb/elector")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("db1").hasMessageContaining("host:port");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:70000/appdb/elector")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("70000");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:5432/appdb/elector?sessionTimeout=200ms")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("sessionTimeout");
    assertThatThrownBy(() -> provider.validate(parse("postgresql://db1:5432/appdb/elector?user=%20")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("user");
    assertThatThrownBy(() -> PostgresSchemaScript.grant("elector", "app; DROP TABLE x"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("role");
  }

  @Test
  void aServerThatIsDownFailsWithinTheConnectTimeoutWithoutThePassword() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    long start = System.nanoTime();
    assertThatThrownBy(() -> Elections.connect("postgresql://127.0.0.1:" + port
        + "/postgres/elector?connectTimeout=1500ms&user=app&password=hunter2-secret"))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageNotContaining("hunter2-secret");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }
}
