package dev.elector.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Every row of a run, in the order measured; prints the table and writes the CSV files. */
final class Results {
  private final List<Row> rows = new ArrayList<>();
  private final List<String> targets = new ArrayList<>();
  private final List<String> header = new ArrayList<>();
  private Machine machine;
  /** Intervals of Elector ÷ peer, computed once per pair of rows (resampling is the table's only real cost). */
  private final Map<Row, Bootstrap.Interval> ratios = new java.util.IdentityHashMap<>();
  private final boolean echo;

  Results() {
    this(true);
  }

  /** @param echo whether each row is printed as it is added */
  Results(boolean echo) {
    this.echo = echo;
  }

  synchronized void add(Row row) {
    rows.add(row);
    if (!echo) {
      return;
    }
    System.out.printf(Locale.ROOT, "  %-44s %-26s %s%n", row.scenario(), row.who(), summary(row));
  }

  synchronized void add(String scenario, String who, boolean elector, Unit unit, long[] values, String note) {
    add(new Row(scenario, who, elector, unit, values, note));
  }

  /** Adds {@code extra} to the note of a row already recorded (a verdict's context shown in the table). */
  synchronized void annotate(String scenario, String who, String extra) {
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      if (r.scenario().equals(scenario) && r.who().equals(who) && !extra.isEmpty()) {
        rows.set(i, r.withNote(r.note().isEmpty() ? extra : r.note() + "; " + extra));
        return;
      }
    }
  }

  /** A line of the run's header (flags, seeds, servers), repeated above the table. */
  synchronized void header(String line) {
    header.add(line);
    System.out.println(line);
  }

  /** The run's machine figures, printed below the table. */
  synchronized void machine(Machine m) {
    this.machine = m;
  }

  /**
   * Elector's median over the peer row's, with its stratified bootstrap 95% interval; null when either row is empty
   * or there is no Elector row.
   */
  synchronized Bootstrap.Interval ratio(Row peer) {
    Row el = elector(peer.scenario()).orElse(null);
    if (peer.elector() || el == null || el.empty() || peer.empty() || peer.median() <= 0) {
      return null;
    }
    return ratios.computeIfAbsent(peer, p -> Bootstrap.medianRatio(el, p, 1));
  }

  static String ratioText(Bootstrap.Interval i) {
    return i == null ? "" : i.format("%.2f");
  }

  /** Records a target's verdict line for the report. */
  synchronized void target(String line) {
    targets.add(line);
  }

  synchronized List<String> targets() {
    return List.copyOf(targets);
  }

  synchronized List<Row> rows() {
    return List.copyOf(rows);
  }

  synchronized Optional<Row> find(String scenario, String who) {
    return rows.stream().filter(r -> r.scenario().equals(scenario) && r.who().equals(who)).findFirst();
  }

  synchronized Optional<Row> elector(String scenario) {
    return rows.stream().filter(r -> r.scenario().equals(scenario) && r.elector()).findFirst();
  }

  private static String summary(Row r) {
    if (r.empty()) {
      return "-- " + r.note();
    }
    Unit u = r.unit();
    return String.format(Locale.ROOT, "n=%d p50=%s p90=%s p99=%s max=%s %s %s", r.n(), u.format(r.percentile(50)),
        u.format(r.percentile(90)), u.format(r.percentile(99)), u.format(r.percentile(100)), u.suffix, r.note())
        .trim();
  }

  /**
   * The table: per scenario, Elector's row first, then each peer with the ratio of medians Elector ÷ peer (below 1
   * means Elector is faster or smaller).
   */
  synchronized void printTable(PrintStream out) {
    Map<String, List<Row>> byScenario = new LinkedHashMap<>();
    for (Row r : rows) {
      byScenario.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r);
    }
    header.forEach(out::println);
    int w = rows.stream().mapToInt(r -> r.scenario().length()).max().orElse(8);
    String fmt = "| %-" + w + "s | %-24s | %5s | %8s | %8s | %8s | %8s | %-5s | %-18s | %s%n";
    out.printf(Locale.ROOT, fmt, "scenario", "who", "n", "p50", "p90", "p99", "max", "unit", "Elector÷ [95% CI]",
        "note");
    out.printf(Locale.ROOT, fmt, "-".repeat(w), "-".repeat(24), "-----", "--------", "--------", "--------",
        "--------", "-----", "-".repeat(18), "----");
    for (var e : byScenario.entrySet()) {
      List<Row> list = new ArrayList<>(e.getValue());
      list.sort((a, b) -> Boolean.compare(b.elector(), a.elector()));
      Row el = list.stream().filter(Row::elector).findFirst().orElse(null);
      boolean first = true;
      for (Row r : list) {
        String ratio = ratioText(ratio(r));
        Unit u = r.unit();
        out.printf(Locale.ROOT, fmt, first ? e.getKey() : "", r.who(), r.empty() ? "0" : Integer.toString(r.n()),
            r.empty() ? "-" : u.format(r.percentile(50)), r.empty() ? "-" : u.format(r.percentile(90)),
            r.empty() ? "-" : u.format(r.percentile(99)), r.empty() ? "-" : u.format(r.percentile(100)),
            u.suffix.isEmpty() ? u.name().toLowerCase(Locale.ROOT) : u.suffix, ratio, r.note());
        first = false;
      }
    }
    printChurnAges(out);
    if (machine != null) {
      out.println();
      out.println("Machine figures per phase (GC: this JVM; CPU: this process and each server process; load: 1-min"
          + " average (runnable/total tasks) at start → end):");
      machine.lines().forEach(l -> out.println("  " + l));
    }
    if (!targets.isEmpty()) {
      out.println();
      out.println("Targets (issue 7; issue 15's marked [15]). MET / MISSED only when the 95% interval lies wholly on"
          + " one side of the limit:");
      targets.forEach(t -> out.println("  " + t));
    }
  }

  /** Churn age buckets of {@link Handoff#CHURN_MAX_AGE} / 4 each. */
  static final int AGE_BUCKETS = 4;

  /** Per churn row: the median (and n) of handoffs whose successor's ticket was 0–25, 25–50, … ms old. */
  synchronized void printChurnAges(PrintStream out) {
    List<Row> churn = rows.stream().filter(r -> r.ages().length > 0).toList();
    if (churn.isEmpty()) {
      return;
    }
    long width = Handoff.CHURN_MAX_AGE.toNanos() / AGE_BUCKETS;
    out.println();
    out.println("Churn: median handoff (ms) by the age of the successor's ticket when the leader acted (n in"
        + " brackets):");
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-36s %-24s", "scenario", "who"));
    for (int b = 0; b < AGE_BUCKETS; b++) {
      head.append(String.format(Locale.ROOT, " %14s", (b * width / 1_000_000) + "–" + ((b + 1) * width / 1_000_000)
          + " ms"));
    }
    out.println(head);
    for (Row r : churn) {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-36s %-24s", r.scenario(), r.who()));
      for (long[] bucket : ageBuckets(r)) {
        sb.append(String.format(Locale.ROOT, " %14s", bucket.length == 0 ? "-" : String.format(Locale.ROOT,
            "%s (%d)", Unit.NANOS.format(Bootstrap.quantile(bucket, 0.5)), bucket.length)));
      }
      out.println(sb);
    }
  }

  /** The row's values split by ticket age into {@link #AGE_BUCKETS} buckets (an age at the top goes in the last). */
  static long[][] ageBuckets(Row r) {
    long width = Handoff.CHURN_MAX_AGE.toNanos() / AGE_BUCKETS;
    long[] v = r.values();
    long[] a = r.ages();
    LongList[] b = new LongList[AGE_BUCKETS];
    for (int i = 0; i < AGE_BUCKETS; i++) {
      b[i] = new LongList();
    }
    for (int i = 0; i < v.length; i++) {
      b[(int) Math.min(AGE_BUCKETS - 1, Math.max(0, a[i] / width))].add(v[i]);
    }
    long[][] out = new long[AGE_BUCKETS][];
    for (int i = 0; i < AGE_BUCKETS; i++) {
      out[i] = b[i].toArray();
    }
    return out;
  }

  /** raw.csv: one line per measured value; summary.csv: one line per table row. */
  synchronized void writeCsv(Path dir) {
    try {
      Files.createDirectories(dir);
      StringBuilder raw = new StringBuilder("scenario,who,elector,unit,trial,rep,age_ns,value\n");
      StringBuilder sum = new StringBuilder("scenario,who,elector,unit,n,p50,p90,p99,max,elector_over_peer_p50,"
          + "ratio_ci_lo,ratio_ci_hi,note\n");
      for (Row r : rows) {
        long[] v = r.values();
        int[] reps = r.reps();
        long[] ages = r.ages();
        for (int i = 0; i < v.length; i++) {
          raw.append(csv(r.scenario())).append(',').append(csv(r.who())).append(',').append(r.elector()).append(',')
              .append(r.unit().name().toLowerCase(Locale.ROOT)).append(',').append(i).append(',').append(reps[i])
              .append(',').append(ages.length == 0 ? "" : Long.toString(ages[i])).append(',').append(v[i])
              .append('\n');
        }
        Bootstrap.Interval ri = ratio(r);
        String ratio = ri == null ? ",," : String.format(Locale.ROOT, "%.4f,%.4f,%.4f", ri.estimate(), ri.lo(),
            ri.hi());
        sum.append(csv(r.scenario())).append(',').append(csv(r.who())).append(',').append(r.elector()).append(',')
            .append(r.unit().name().toLowerCase(Locale.ROOT)).append(',').append(r.n());
        for (double p : new double[] {50, 90, 99, 100}) {
          sum.append(',').append(r.empty() ? "" : String.format(Locale.ROOT, "%.0f", r.percentile(p)));
        }
        sum.append(',').append(ratio).append(',').append(csv(r.note())).append('\n');
      }
      Files.writeString(dir.resolve("raw.csv"), raw);
      Files.writeString(dir.resolve("summary.csv"), sum);
      StringBuilder run = new StringBuilder();
      header.forEach(h -> run.append(h).append('\n'));
      if (machine != null) {
        machine.lines().forEach(l -> run.append(l).append('\n'));
      }
      targets.forEach(t -> run.append(t).append('\n'));
      Files.writeString(dir.resolve("run.txt"), run);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write CSV files to " + dir, e);
    }
  }

  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
