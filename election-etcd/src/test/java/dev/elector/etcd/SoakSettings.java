package dev.elector.etcd;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** How long the soak runs and from which seed: short in CI, longer on demand via system properties. */
final class SoakSettings {
  static final String DURATION = "elector.soak.duration";
  static final String SEED = "elector.soak.seed";
  static final Duration SHORT = Duration.ofSeconds(30);
  static final Duration MAX = Duration.ofMinutes(30);

  private SoakSettings() {}

  /** {@code 30s}, {@code 5m}, or an ISO-8601 duration; the short form when unset. */
  static Duration duration() {
    String v = System.getProperty(DURATION, "").trim();
    if (v.isEmpty()) {
      return SHORT;
    }
    Duration d;
    try {
      if (v.matches("\\d+[smh]")) {
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        d = switch (v.charAt(v.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      } else {
        d = Duration.parse(v);
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(DURATION + "=" + v + " must be like 30s, 5m or PT5M", e);
    }
    if (d.isNegative() || d.isZero() || d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException(DURATION + "=" + v + " must be positive and at most " + MAX);
    }
    return d;
  }

  static long seed() {
    String v = System.getProperty(SEED, "").trim();
    if (v.isEmpty()) {
      return ThreadLocalRandom.current().nextLong();
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(SEED + "=" + v + " must be a long", e);
    }
  }
}
