package dev.elector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class InputRulesTest {
  @Test
  void badValuesAreRefusedNamingTheValueAndTheRule() {
    assertThatThrownBy(() -> InputRules.checkElectionName("a/b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("a/b").hasMessageContaining("must not contain '/'");
    assertThatThrownBy(() -> InputRules.checkCandidateId(" ")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("candidate id").hasMessageContaining("not blank");
    assertThatThrownBy(() -> InputRules.checkData(new byte[11], 10)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("11 bytes").hasMessageContaining("at most maxDataBytes=10");
    assertThatThrownBy(() -> InputRules.parseDuration("grace", "soon")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("grace").hasMessageContaining("soon");
  }

  @Test
  void goodValuesPassThrough() {
    assertThat(InputRules.checkElectionName("orders-v2.primary")).isEqualTo("orders-v2.primary");
    assertThat(InputRules.checkCandidateId("host-1 \uD83D\uDE00")).isEqualTo("host-1 \uD83D\uDE00");
    byte[] data = {1, 2};
    assertThat(InputRules.checkData(data, 2)).containsExactly(1, 2).isNotSameAs(data);
    assertThat(InputRules.parseDuration("timeout", "1500ms")).isEqualTo(Duration.ofMillis(1500));
    assertThat(InputRules.parseDuration("timeout", "PT2S")).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void nullsAreNullPointerExceptionsNamingTheParameter() {
    assertThatThrownBy(() -> InputRules.checkElectionName(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("election name");
    assertThatThrownBy(() -> InputRules.checkCandidateId(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("candidate id");
    assertThatThrownBy(() -> InputRules.checkData(null, 1)).isInstanceOf(NullPointerException.class)
        .hasMessage("candidate data");
  }
}
