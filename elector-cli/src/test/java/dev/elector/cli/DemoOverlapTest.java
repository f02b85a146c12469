package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.EndReason;
import dev.elector.Leadership;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The demo's "never two valid leaders at once" line: it must catch a real overlap and ignore a handoff. */
class DemoOverlapTest {
  private record FakeTerm(long token) implements Leadership {
    public String election() {
      return "e";
    }

    public String candidateId() {
      return "c" + token;
    }

    public long startedNanos() {
      return 0;
    }

    public boolean isValid() {
      return true;
    }

    public long validUntilNanos() {
      return System.nanoTime() + 1_000_000_000L;
    }

    public CompletionStage<EndReason> ended() {
      return new CompletableFuture<>();
    }
  }

  private static final Optional<Leadership> NONE = Optional.empty();

  @Test
  void aCandidateLeadingThroughBothPassesAndAnotherLeadingBetweenIsAnOverlap() {
    Optional<Leadership> a = Optional.of(new FakeTerm(1));
    Optional<Leadership> b = Optional.of(new FakeTerm(2));
    // c0 holds one term in both passes; c1 leads in the first pass, read after c0's first read.
    assertThat(Demo.overlap(List.of(a, b), List.of(a, NONE))).hasValueSatisfying(p -> assertThat(p).containsExactly(0, 1));
    // c1 holds one term in both passes; c0 leads in the second pass, read before c1's second read.
    assertThat(Demo.overlap(List.of(NONE, b), List.of(a, b))).hasValueSatisfying(p -> assertThat(p).containsExactly(1, 0));
  }

  @Test
  void aHandoffBetweenReadsIsNotAnOverlap() {
    Optional<Leadership> a = Optional.of(new FakeTerm(1));
    Optional<Leadership> b = Optional.of(new FakeTerm(2));
    // c0 read leading, then hands over; c1 read leading afterwards: sequential, not simultaneous.
    assertThat(Demo.overlap(List.of(a, b), List.of(NONE, b))).isEmpty();
    // c0 was re-elected with a new term between the passes: not one unbroken interval.
    assertThat(Demo.overlap(List.of(a, b), List.of(Optional.of(new FakeTerm(3)), NONE))).isEmpty();
    assertThat(Demo.overlap(List.of(a, NONE), List.of(a, NONE))).isEmpty();
  }
}
