package dev.elector.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The one margin rule every backend takes off its session deadline. */
class SessionClockTest {
  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  @Test
  void theMarginIsATenthOfTheTimeoutAtLeast20Ms() {
    assertThat(SessionClock.marginNanos(ms(10_000))).isEqualTo(ms(1_000));
    assertThat(SessionClock.marginNanos(ms(2_000))).isEqualTo(ms(200));
    assertThat(SessionClock.marginNanos(ms(200))).isEqualTo(ms(20));
    assertThat(SessionClock.marginNanos(ms(100))).isEqualTo(ms(20));
  }

  @Test
  void underFortyMillisecondsTheMarginIsHalfTheTimeoutSoTheDeadlineStaysAfterTheSend() {
    assertThat(SessionClock.marginNanos(ms(30))).isEqualTo(ms(15));
    assertThat(SessionClock.marginNanos(1)).isZero();
    long sent = 1_000;
    assertThat(SessionClock.deadline(sent, ms(10))).isEqualTo(sent + ms(5));
  }

  @Test
  void theDeadlineCountsFromTheSendTime() {
    long sent = -5_000; // nanoTime may be negative; only differences count
    assertThat(SessionClock.deadline(sent, ms(3_000))).isEqualTo(sent + ms(3_000) - ms(300));
  }

  @Test
  void aTimeoutThatIsNotPositiveIsRejectedNamingTheValue() {
    assertThatThrownBy(() -> SessionClock.marginNanos(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeoutNanos 0 must be positive");
  }
}
