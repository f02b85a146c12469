package dev.elector.bench;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * One scenario's figures for one contender: the raw values, or nothing and a note saying why (a peer that does not
 * cope at that size, a contender that failed).
 *
 * @param scenario the scenario, including its variant and backend
 * @param who the contender
 * @param elector whether this is Elector (the others are peers, compared to it)
 * @param unit how to read the values
 * @param values raw values, one per trial
 * @param note shown next to the figures (a cap reached, an error)
 */
record Row(String scenario, String who, boolean elector, Unit unit, long[] values, String note) {
  Row {
    values = values.clone();
    note = note == null ? "" : note;
  }

  @Override
  public long[] values() {
    return values.clone();
  }

  int n() {
    return values.length;
  }

  boolean empty() {
    return values.length == 0;
  }

  /** The value at a percentile (0-100), from an HdrHistogram with 3 significant digits; exact max. */
  double percentile(double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long max = Arrays.stream(values).max().orElse(0);
    if (p >= 100) {
      return max;
    }
    // Margins can be negative (a peer whose successor came before its leader stepped down): shift into range.
    long min = Arrays.stream(values).min().orElse(0);
    long shift = min < 0 ? -min : 0;
    Histogram h = new Histogram(Math.max(2, max + shift), 3);
    for (long v : values) {
      h.recordValue(v + shift);
    }
    return Math.min(h.getValueAtPercentile(p), max + shift) - shift;
  }

  long min() {
    return Arrays.stream(values).min().orElse(0);
  }

  double median() {
    return percentile(50);
  }
}
