package dev.elector.tck;

import java.time.Duration;

/**
 * One factor, {@code -Delector.tck.timeScale} (a positive decimal, default 1), that stretches every time bound the
 * kit waits for: elections, handoffs, failovers, recoveries, step-downs, single operations and the quiet periods
 * of the fault scenarios. For slow or shared machines; it only ever waits longer (values below 1 are refused), so
 * no rule becomes stricter than the SPEC's, and a rule that fails at a large scale fails on what happened, not on
 * time. Read once, checked before any test runs.
 */
public final class TimeScale {
  /** The system property. */
  public static final String PROPERTY = "elector.tck.timeScale";

  private static final double FACTOR = parse(System.getProperty(PROPERTY));

  private TimeScale() {}

  /** The factor in force (1 unless the property says otherwise). */
  public static double factor() {
    return FACTOR;
  }

  /** {@code d} stretched by the factor in force. */
  public static Duration apply(Duration d) {
    return apply(d, FACTOR);
  }

  static Duration apply(Duration d, double factor) {
    return factor == 1 ? d : Duration.ofNanos(Math.round(d.toNanos() * factor));
  }

  /**
   * The factor a property value names.
   *
   * @throws IllegalArgumentException naming the property, the value and the rule, if it is not a decimal of at
   *     least 1 and at most 100
   */
  static double parse(String value) {
    if (value == null || value.isBlank()) {
      return 1;
    }
    double f;
    try {
      f = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw invalid(value);
    }
    if (!(f >= 1 && f <= 100)) {
      throw invalid(value);
    }
    return f;
  }

  private static IllegalArgumentException invalid(String value) {
    return new IllegalArgumentException("-D" + PROPERTY + "=" + value
        + ": must be a decimal from 1 to 100 (it stretches the kit's time bounds; it never shortens them)");
  }
}
