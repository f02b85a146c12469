package dev.elector.cli;

import java.io.PrintWriter;
import java.util.Locale;

/** The demo's output: one line per event, stamped with the seconds since the demo started. */
final class Timeline {
  private final PrintWriter out;
  private final long startNanos = System.nanoTime();

  Timeline(PrintWriter out) {
    this.out = out;
  }

  synchronized void event(String text) {
    double s = (System.nanoTime() - startNanos) / 1e9;
    out.println(String.format(Locale.ROOT, "%7.2fs  %s", s, text));
    out.flush();
  }

  synchronized void note(String text) {
    out.println("          " + text);
    out.flush();
  }

  synchronized void heading(String text) {
    out.println(text);
    out.flush();
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  static String millis(long nanos) {
    double ms = nanos / 1e6;
    return ms < 1000 ? String.format(Locale.ROOT, "%.0f ms", ms) : String.format(Locale.ROOT, "%.2f s", ms / 1000);
  }
}
