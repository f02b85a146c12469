package dev.elector.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The kit's one time factor: only ever stretches its bounds, and a bad value is named with its rule. */
class TimeScaleTest {
  @Test
  void unsetMeansOne() {
    assertThat(TimeScale.parse(null)).isEqualTo(1.0);
    assertThat(TimeScale.parse(" ")).isEqualTo(1.0);
  }

  @Test
  void stretchesEveryBoundByTheFactor() {
    assertThat(TimeScale.parse("2.5")).isEqualTo(2.5);
    assertThat(TimeScale.apply(Duration.ofSeconds(2), 2.5)).isEqualTo(Duration.ofSeconds(5));
    assertThat(TimeScale.apply(Duration.ofMillis(1234), 1)).isEqualTo(Duration.ofMillis(1234));
  }

  @Test
  void refusesToShortenOrGarbleNamingThePropertyAndTheRule() {
    for (String bad : new String[] {"0.5", "0", "-2", "abc", "NaN", "1000"}) {
      assertThatThrownBy(() -> TimeScale.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-Delector.tck.timeScale=" + bad)
          .hasMessageContaining("from 1 to 100");
    }
  }
}
