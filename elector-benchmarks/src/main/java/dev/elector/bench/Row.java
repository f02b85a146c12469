package dev.elector.bench;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * One scenario's figures for one contender: the raw values, or nothing and a note saying why (a peer that does not
 * cope at that size, a contender that failed).
 *
 * <p>Invariant: {@code reps} and {@code ages} are empty or exactly as long as {@code values}; {@code reps[i]} is the
 * repetition (fresh sessions and elections) value {@code i} came from, the stratum its bootstrap resamples within;
 * {@code ages[i]} is, for a churn handoff, how long (ns) the successor's ticket had been visible when the leader
 * acted.
 *
 * @param scenario the scenario, including its variant and backend
 * @param who the contender
 * @param elector whether this is Elector (the others are peers, compared to it)
 * @param unit how to read the values
 * @param values raw values, one per trial
 * @param reps the repetition of each value, or empty (one stratum)
 * @param ages the successor's ticket age of each value (churn), or empty
 * @param note shown next to the figures (a cap reached, an error)
 */
record Row(String scenario, String who, boolean elector, Unit unit, long[] values, int[] reps, long[] ages,
    String note) {
  Row {
    values = values.clone();
    reps = reps == null ? new int[0] : reps.clone();
    ages = ages == null ? new long[0] : ages.clone();
    note = note == null ? "" : note;
    if (reps.length != 0 && reps.length != values.length || ages.length != 0 && ages.length != values.length) {
      throw new IllegalArgumentException("reps and ages must be empty or one per value: " + scenario + " " + who);
    }
  }

  /** A row whose values form one stratum and carry no age. */
  Row(String scenario, String who, boolean elector, Unit unit, long[] values, String note) {
    this(scenario, who, elector, unit, values, null, null, note);
  }

  Row withNote(String newNote) {
    return new Row(scenario, who, elector, unit, values, reps, ages, newNote);
  }

  @Override
  public long[] values() {
    return values.clone();
  }

  @Override
  public int[] reps() {
    return reps.length == 0 ? new int[values.length] : reps.clone();
  }

  @Override
  public long[] ages() {
    return ages.clone();
  }

  int n() {
    return values.length;
  }

  boolean empty() {
    return values.length == 0;
  }

  /** How many repetitions the values come from. */
  int repetitions() {
    return reps.length == 0 ? (values.length == 0 ? 0 : 1) : Arrays.stream(reps).max().orElse(0) + 1;
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
