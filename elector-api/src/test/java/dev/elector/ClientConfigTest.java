package dev.elector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.internal.Checks;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC rule 4.3: configuration and names are checked before any I/O, naming the value and the rule. */
class ClientConfigTest {

  @Test
  void parsesEndpointsRootAndOptions() {
    ClientConfig c = ClientConfig.parse(
        "zookeeper://h1:2181,h2:2181/my-app/jobs?sessionTimeout=10s&connectTimeout=500ms&username=app&password=s3cret");
    assertThat(c.scheme()).isEqualTo("zookeeper");
    assertThat(c.endpoints()).containsExactly("h1:2181", "h2:2181");
    assertThat(c.root()).isEqualTo("/my-app/jobs");
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.option("username")).contains("app");
    assertThat(c.toString()).doesNotContain("s3cret").contains("password=***");
  }

  @Test
  void defaultsApplyAndTheBuilderMatchesTheUri() {
    ClientConfig parsed = ClientConfig.parse("etcd://127.0.0.1:2379?sessionTimeout=PT3S&maxDataBytes=100");
    ClientConfig built = ClientConfig.builder("etcd").endpoints("127.0.0.1:2379")
        .sessionTimeout(Duration.ofSeconds(3)).maxDataBytes(100).build();
    assertThat(parsed).isEqualTo(built);
    assertThat(parsed.root()).isEqualTo(ClientConfig.DEFAULT_ROOT);
    assertThat(ClientConfig.parse(parsed.toUri())).isEqualTo(parsed);
  }

  @Test
  void negativeAndZeroDurationsAreRejectedWithTheValue() {
    assertThatThrownBy(() -> ClientConfig.builder("mem").sessionTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("sessionTimeout PT-1S is invalid: must be positive");
    assertThatThrownBy(() -> ClientConfig.parse("mem://x?connectTimeout=0s"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("connectTimeout PT0S");
    assertThatThrownBy(() -> ClientConfig.parse("mem://x?sessionTimeout=soon"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'soon'")
        .hasMessageContaining("duration such as 500ms");
  }

  @Test
  void malformedUrisAreRejected() {
    assertThatThrownBy(() -> ClientConfig.parse("localhost:2181"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'localhost:2181'");
    assertThatThrownBy(() -> ClientConfig.parse("zookeeper:///app"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("at least one endpoint");
    assertThatThrownBy(() -> ClientConfig.parse("zookeeper://a:1,,b:2/app"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("endpoint");
    assertThatThrownBy(() -> ClientConfig.parse("etcd://user:pw@h:2379/app"))
        .isInstanceOf(InvalidInputException.class).hasMessageNotContaining("pw")
        .hasMessageContaining("username/password options");
    assertThatThrownBy(() -> ClientConfig.parse("mem://x/a//b"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("root path segment");
    assertThatThrownBy(() -> ClientConfig.parse("mem://x?maxDataBytes=9999999"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxDataBytes 9999999");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", ".hidden", "-x", "with space", "tab\t"})
  void badElectionNamesAreRejected(String name) {
    assertThatThrownBy(() -> Checks.name("election name", name))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("election name '" + name.substring(0, Math.min(name.length(), 77)));
  }

  @Test
  void oversizedNamesIdsAndDataAreRejected() {
    String longName = "n".repeat(Checks.MAX_NAME_LENGTH + 1);
    assertThatThrownBy(() -> Checks.name("election name", longName))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("1 to 128 characters");
    assertThatThrownBy(() -> Checks.candidateId(" "))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("candidate id ' '");
    assertThatThrownBy(() -> Checks.candidateId("x".repeat(257)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("1 to 256");
    assertThatThrownBy(() -> Checks.candidateId("a\nb"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("control characters");
    assertThatThrownBy(() -> Checks.data(new byte[11], 10))
        .isInstanceOf(InvalidInputException.class).hasMessage(
            "candidate data '11 bytes' is invalid: must be at most maxDataBytes=10 bytes");
    InvalidInputException e = (InvalidInputException) org.assertj.core.api.Assertions.catchThrowable(
        () -> Checks.name("election name", "a/b"));
    assertThat(e.value()).isEqualTo("a/b");
    assertThat(e.rule()).contains("'/'");
    assertThat(List.of(e.what())).containsExactly("election name");
  }
}
