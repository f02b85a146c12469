package dev.elector.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Redraws the chart from a run's {@code raw.csv} without running anything:
 * {@code java -cp elector-bench.jar dev.elector.bench.Replot bench-results [docs/benchmarks.png]}.
 */
public final class Replot {
  private Replot() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Replot RESULTS_DIR [COPY_CHART_TO]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Results res = read(dir.resolve("raw.csv"));
    Path chart = dir.resolve("handoff-failover.png");
    Chart.write(chart, "Elector vs peers, same servers, same run", BenchMain.panels(res));
    if (args.length > 1) {
      Files.copy(chart, Path.of(args[1]), StandardCopyOption.REPLACE_EXISTING);
    }
    System.out.println("wrote " + chart + (args.length > 1 ? " and " + args[1] : ""));
  }

  /** Reads the rows back from raw.csv (rows that had no values are not in it). */
  static Results read(Path csv) throws Exception {
    record Key(String scenario, String who, boolean elector, Unit unit) {}
    Map<Key, LongList> rows = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(csv);
    for (String line : lines.subList(1, lines.size())) {
      List<String> f = fields(line);
      Key k = new Key(f.get(0), f.get(1), Boolean.parseBoolean(f.get(2)),
          Unit.valueOf(f.get(3).toUpperCase(Locale.ROOT)));
      // Columns: scenario, who, elector, unit, trial, rep, age_ns, value (the value is last in every version).
      rows.computeIfAbsent(k, x -> new LongList()).add(Long.parseLong(f.get(f.size() - 1)));
    }
    Results res = new Results(false);
    rows.forEach((k, v) -> res.add(k.scenario(), k.who(), k.elector(), k.unit(), v.toArray(), ""));
    return res;
  }

  private static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cur.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
