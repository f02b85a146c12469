package dev.elector.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals, stratified by repetition: each resample draws, within every repetition, as many
 * values (with replacement) as that repetition has, so a burst of outside load that fell on one repetition weighs in a
 * resample exactly as much as it did in the run. Seeded: the same run's values and seed give the same intervals.
 *
 * <p>Quantiles here are exact order statistics (nearest rank) of the raw values; the table's percentiles come from a
 * histogram with three significant digits, so the two can differ in the fourth digit.
 */
final class Bootstrap {
  /** Resamples per interval. */
  static final int RESAMPLES = 2_000;

  /** The run's seed for every interval (printed at the start, {@code -Dbench.bootstrapSeed=} replays it). */
  static final long SEED = Long.getLong("bench.bootstrapSeed", 20261127L);

  private Bootstrap() {}

  /**
   * An estimate with its 95% interval.
   *
   * @param estimate the statistic on the values as measured
   * @param lo the 2.5th percentile of the resampled statistic
   * @param hi the 97.5th percentile
   */
  record Interval(double estimate, double lo, double hi) {
    String format(String fmt) {
      return String.format(Locale.ROOT, fmt + " [" + fmt + ", " + fmt + "]", estimate, lo, hi);
    }

    /**
     * MET when the whole interval is at or below {@code limit}, MISSED when it lies wholly above, UNDECIDED when it
     * straddles the limit: a verdict only where the run's own spread cannot overturn it.
     */
    Verdict atMost(double limit) {
      return hi <= limit ? Verdict.MET : lo > limit ? Verdict.MISSED : Verdict.UNDECIDED;
    }

    /** The same for a strict bound: MET when the interval lies wholly below {@code limit}. */
    Verdict below(double limit) {
      return hi < limit ? Verdict.MET : lo >= limit ? Verdict.MISSED : Verdict.UNDECIDED;
    }
  }

  /** A target's outcome; NOT_RUN when its rows are missing. */
  enum Verdict {
    MET, MISSED, UNDECIDED, NOT_RUN;

    String label() {
      return String.format(Locale.ROOT, "%-10s", this == NOT_RUN ? "NOT RUN" : name());
    }
  }

  /**
   * Values grouped by repetition (stratum), kept sorted as one array with each stratum's positions in it, so a
   * resample's quantile is found by counting draws per position (no sort per resample).
   */
  static final class Strata {
    private final long[] sorted;
    private final int[][] positions;

    private Strata(long[] sorted, int[][] positions) {
      this.sorted = sorted;
      this.positions = positions;
    }

    static Strata of(Row r) {
      return of(r.values(), r.reps());
    }

    static Strata of(long[] values, int[] reps) {
      int n = values.length;
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compare(values[a], values[b]));
      int strata = 0;
      for (int rep : reps) {
        strata = Math.max(strata, rep + 1);
      }
      int[] counts = new int[strata];
      for (int rep : reps) {
        counts[rep]++;
      }
      int[][] pos = new int[strata][];
      for (int i = 0; i < strata; i++) {
        pos[i] = new int[counts[i]];
      }
      int[] fill = new int[strata];
      long[] sorted = new long[n];
      for (int k = 0; k < n; k++) {
        sorted[k] = values[order[k]];
        int rep = reps[order[k]];
        pos[rep][fill[rep]++] = k;
      }
      return new Strata(sorted, pos);
    }

    long[] all() {
      return sorted.clone();
    }

    /**
     * The nearest-rank quantile of one resample: within each stratum, as many draws (with replacement) as it has
     * values.
     */
    double resampledQuantile(SplittableRandom rnd, double q, int[] scratch) {
      Arrays.fill(scratch, 0);
      for (int[] s : positions) {
        for (int i = 0; i < s.length; i++) {
          scratch[s[rnd.nextInt(s.length)]]++;
        }
      }
      int rank = Math.max(0, (int) Math.ceil(q * sorted.length) - 1);
      int seen = 0;
      for (int k = 0; k < sorted.length; k++) {
        seen += scratch[k];
        if (seen > rank) {
          return sorted[k];
        }
      }
      return sorted[sorted.length - 1];
    }

    int size() {
      return sorted.length;
    }
  }

  /** The nearest-rank quantile {@code q} (0..1) of the values; sorts a copy. */
  static double quantile(long[] values, double q) {
    long[] v = values.clone();
    Arrays.sort(v);
    int idx = (int) Math.ceil(q * v.length) - 1;
    return v[Math.max(0, Math.min(v.length - 1, idx))];
  }

  /** The interval of a quantile of one row's values, stratified by repetition. */
  static Interval quantile(Strata s, double q, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] scratch = new int[s.size()];
    double[] stats = new double[RESAMPLES];
    for (int i = 0; i < RESAMPLES; i++) {
      stats[i] = s.resampledQuantile(rnd, q, scratch);
    }
    return interval(quantile(s.all(), q), stats);
  }

  /**
   * The interval of {@code quantile(a) / (scale × quantile(b))}: each side resampled within its own strata,
   * independently (the two sides are different contenders or a contender and a floor).
   */
  static Interval ratio(Strata a, Strata b, double q, double scale, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] sa = new int[a.size()];
    int[] sb = new int[b.size()];
    double[] stats = new double[RESAMPLES];
    for (int i = 0; i < RESAMPLES; i++) {
      stats[i] = a.resampledQuantile(rnd, q, sa) / (scale * b.resampledQuantile(rnd, q, sb));
    }
    return interval(quantile(a.all(), q) / (scale * quantile(b.all(), q)), stats);
  }

  /** Ratio of medians of two rows. */
  static Interval medianRatio(Row a, Row b, double scale) {
    return ratio(Strata.of(a), Strata.of(b), 0.5, scale, seedFor(a, b));
  }

  /** A seed per pair of rows, derived from the run's seed, so adding a target does not shift the others' draws. */
  static long seedFor(Row a, Row b) {
    return SEED ^ (31L * (a.scenario() + '|' + a.who()).hashCode() + (b.scenario() + '|' + b.who()).hashCode());
  }

  private static Interval interval(double estimate, double[] stats) {
    Arrays.sort(stats);
    return new Interval(estimate, stats[(int) Math.floor(0.025 * (stats.length - 1))],
        stats[(int) Math.ceil(0.975 * (stats.length - 1))]);
  }
}
