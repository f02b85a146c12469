package dev.elector.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Exponential backoff with full jitter. */
class BackoffTest {
  @Test
  void theCeilingDoublesFromTheBaseUpToTheCap() {
    Backoff b = new Backoff(50, 1_000);
    assertThat(b.ceilingMillis(0)).isEqualTo(50);
    assertThat(b.ceilingMillis(1)).isEqualTo(100);
    assertThat(b.ceilingMillis(4)).isEqualTo(800);
    assertThat(b.ceilingMillis(5)).isEqualTo(1_000);
    assertThat(b.ceilingMillis(Integer.MAX_VALUE)).isEqualTo(1_000);
    assertThat(b.ceilingMillis(-1)).isEqualTo(50);
  }

  @Test
  void aLargeBaseDoesNotOverflowPastTheCap() {
    Backoff b = new Backoff(Long.MAX_VALUE / 4, Long.MAX_VALUE);
    assertThat(b.ceilingMillis(30)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void pausesSpreadOverTheWholeRangeAndNeverPassTheCeiling() {
    Backoff b = new Backoff(100, 100);
    boolean low = false;
    boolean high = false;
    for (int i = 0; i < 10_000; i++) {
      long p = b.pauseMillis(3);
      assertThat(p).isBetween(0L, 100L);
      low |= p < 25;
      high |= p > 75;
    }
    // Full jitter, not half: pauses fall in both the lowest and the highest quarter (each missed with p = 0.75^10000).
    assertThat(low).isTrue();
    assertThat(high).isTrue();
  }

  @Test
  void badBoundsAreRejectedNamingTheValues() {
    assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base 0 ms");
    assertThatThrownBy(() -> new Backoff(10, 5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cap 5 ms");
  }
}
