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
        rows.set(i, new Row(r.scenario(), r.who(), r.elector(), r.unit(), r.values(),
            r.note().isEmpty() ? extra : r.note() + "; " + extra));
        return;
      }
    }
  }

  /** Records a target's verdict line for the report. */
  synchronized void target(String line) {
    targets.add(line);
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
    int w = rows.stream().mapToInt(r -> r.scenario().length()).max().orElse(8);
    String fmt = "| %-" + w + "s | %-24s | %5s | %8s | %8s | %8s | %8s | %-5s | %-9s | %s%n";
    out.printf(Locale.ROOT, fmt, "scenario", "who", "n", "p50", "p90", "p99", "max", "unit", "Elector÷", "note");
    out.printf(Locale.ROOT, fmt, "-".repeat(w), "-".repeat(24), "-----", "--------", "--------", "--------",
        "--------", "-----", "---------", "----");
    for (var e : byScenario.entrySet()) {
      List<Row> list = new ArrayList<>(e.getValue());
      list.sort((a, b) -> Boolean.compare(b.elector(), a.elector()));
      Row el = list.stream().filter(Row::elector).findFirst().orElse(null);
      boolean first = true;
      for (Row r : list) {
        String ratio = "";
        if (!r.elector() && el != null && !el.empty() && !r.empty() && r.median() > 0) {
          ratio = String.format(Locale.ROOT, "%.2f", el.median() / r.median());
        }
        Unit u = r.unit();
        out.printf(Locale.ROOT, fmt, first ? e.getKey() : "", r.who(), r.empty() ? "0" : Integer.toString(r.n()),
            r.empty() ? "-" : u.format(r.percentile(50)), r.empty() ? "-" : u.format(r.percentile(90)),
            r.empty() ? "-" : u.format(r.percentile(99)), r.empty() ? "-" : u.format(r.percentile(100)),
            u.suffix.isEmpty() ? u.name().toLowerCase(Locale.ROOT) : u.suffix, ratio, r.note());
        first = false;
      }
    }
    if (!targets.isEmpty()) {
      out.println();
      out.println("Targets (issue 7):");
      targets.forEach(t -> out.println("  " + t));
    }
  }

  /** raw.csv: one line per measured value; summary.csv: one line per table row. */
  synchronized void writeCsv(Path dir) {
    try {
      Files.createDirectories(dir);
      StringBuilder raw = new StringBuilder("scenario,who,elector,unit,trial,value\n");
      StringBuilder sum = new StringBuilder("scenario,who,elector,unit,n,p50,p90,p99,max,elector_over_peer_p50,note\n");
      for (Row r : rows) {
        long[] v = r.values();
        for (int i = 0; i < v.length; i++) {
          raw.append(csv(r.scenario())).append(',').append(csv(r.who())).append(',').append(r.elector()).append(',')
              .append(r.unit().name().toLowerCase(Locale.ROOT)).append(',').append(i).append(',').append(v[i])
              .append('\n');
        }
        Row el = elector(r.scenario()).orElse(null);
        String ratio = !r.elector() && el != null && !el.empty() && !r.empty() && r.median() > 0
            ? String.format(Locale.ROOT, "%.4f", el.median() / r.median()) : "";
        sum.append(csv(r.scenario())).append(',').append(csv(r.who())).append(',').append(r.elector()).append(',')
            .append(r.unit().name().toLowerCase(Locale.ROOT)).append(',').append(r.n());
        for (double p : new double[] {50, 90, 99, 100}) {
          sum.append(',').append(r.empty() ? "" : String.format(Locale.ROOT, "%.0f", r.percentile(p)));
        }
        sum.append(',').append(ratio).append(',').append(csv(r.note())).append('\n');
      }
      Files.writeString(dir.resolve("raw.csv"), raw);
      Files.writeString(dir.resolve("summary.csv"), sum);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write CSV files to " + dir, e);
    }
  }

  private static String csv(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
