package dev.elector.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.InvalidInputException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Candidate ids are stored as UTF-8: only ids that survive the round trip are accepted (SPEC rule 4.3). */
class ChecksTest {

  /** Two ids that differ only in a lone surrogate would be stored as the same bytes ('?'): one is refused. */
  @Test
  void loneSurrogatesInCandidateIdsAreRejectedBeforeAnyIo() {
    String a = "node-\uD800";
    String b = "node-\uDC00";
    assertThat(a.getBytes(StandardCharsets.UTF_8)).as("why it matters").isEqualTo(b.getBytes(StandardCharsets.UTF_8));
    for (String id : new String[] {a, b, "\uDBFF", "x\uDC00y", "\uD83D"}) {
      assertThatThrownBy(() -> Checks.candidateId(id))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("candidate id")
          .hasMessageContaining("lone surrogate");
    }
  }

  @Test
  void wellFormedSupplementaryCharactersAreAccepted() {
    String id = "node-\uD83D\uDE80-\u00E9";
    assertThat(Checks.candidateId(id)).isEqualTo(id);
    assertThat(new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(id);
  }
}
