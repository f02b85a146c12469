package dev.elector.bench;

import java.util.Locale;

/** How a row's raw values read. */
enum Unit {
  /** Raw values in nanoseconds, shown in milliseconds. */
  NANOS("ms") {
    @Override
    String format(double v) {
      double ms = v / 1e6;
      return ms >= 100 ? String.format(Locale.ROOT, "%.0f", ms)
          : ms >= 10 ? String.format(Locale.ROOT, "%.1f", ms) : String.format(Locale.ROOT, "%.2f", ms);
    }
  },
  /** Plain counts (watch events, candidates). */
  COUNT("") {
    @Override
    String format(double v) {
      return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
  },
  /** Bytes, shown as is. */
  BYTES("B") {
    @Override
    String format(double v) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
  };

  final String suffix;

  Unit(String suffix) {
    this.suffix = suffix;
  }

  abstract String format(double v);
}
