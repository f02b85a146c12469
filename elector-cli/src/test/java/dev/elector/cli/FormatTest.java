package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.Participant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class FormatTest {
  @Test
  void jsonEscapesQuotesBackslashesAndControlCharacters() {
    Participant p = new Participant("e", "a\"b\\c", 42, "line1\nline2\t\u0001".getBytes(StandardCharsets.UTF_8));
    assertThat(Format.json(p)).isEqualTo("{\"id\":\"a\\\"b\\\\c\",\"token\":42,\"data\":\"line1\\nline2\\t\\u0001\"}");
  }

  @Test
  void noLeaderIsNullInJsonAndWordsInText() {
    Instant at = Instant.parse("2026-01-02T03:04:05Z");
    assertThat(Format.leaderJson(at, Optional.empty())).isEqualTo("{\"time\":\"2026-01-02T03:04:05Z\",\"leader\":null}");
    assertThat(Format.leaderText(at, Optional.empty())).isEqualTo("2026-01-02T03:04:05Z no leader");
    Participant p = new Participant("e", "n1", 7, new byte[0]);
    assertThat(Format.leaderText(at, Optional.of(p))).isEqualTo("2026-01-02T03:04:05Z leader n1 token=7");
  }

  @Test
  void durationsParseInTheUriFormsAndRejectTheRest() {
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DurationConverter.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(DurationConverter.parse("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> DurationConverter.parse("-PT1S")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> DurationConverter.parse("2 seconds"))
        .isInstanceOf(TypeConversionException.class).hasMessageContaining("'2 seconds' is not a duration");
  }
}
