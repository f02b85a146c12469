package dev.elector.bench;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Command-line options.
 *
 * @param mode full (the README's figures), quick (about a minute) or smoke (seconds; the module's own test)
 * @param out where the CSV files and the chart go
 * @param docsChart where a full run copies its chart for the README, or null
 * @param groups the scenario groups to run
 */
record Options(Mode mode, Path out, Path docsChart, Set<String> groups) {
  static final List<String> ALL = List.of("floors", "handoff", "failover", "herd", "scale");

  enum Mode { FULL, QUICK, SMOKE }

  boolean runs(String group) {
    return groups.contains(group);
  }

  boolean full() {
    return mode == Mode.FULL;
  }

  /** Picks the full, quick or smoke value. */
  int pick(int full, int quick, int smoke) {
    return mode == Mode.FULL ? full : mode == Mode.QUICK ? quick : smoke;
  }

  static final String USAGE = """
      usage: java -jar elector-bench.jar [--quick | --smoke] [--out DIR] [--only GROUP[,GROUP...]] [--no-docs]
        --quick    about 80 s: fewer handoffs and trials, smaller herd and scale
        --smoke    a few seconds: checks the harness end to end (the module's test uses it)
        --out DIR  where raw.csv, summary.csv and handoff-failover.png go (default bench-results)
        --only     run only these groups: floors, handoff, failover, herd, scale
        --no-docs  a full run does not copy its chart to docs/benchmarks.png
      environment: ELECTOR_ETCD_BIN  the etcd binary (default /usr/bin/etcd)
      """;

  static Options parse(String... args) {
    Mode mode = Mode.FULL;
    Path out = Path.of("bench-results");
    boolean docs = true;
    Set<String> groups = new LinkedHashSet<>(ALL);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> mode = Mode.QUICK;
        case "--smoke" -> mode = Mode.SMOKE;
        case "--no-docs" -> docs = false;
        case "--out" -> out = Path.of(value(args, ++i, "--out"));
        case "--only" -> {
          groups = new LinkedHashSet<>();
          for (String g : value(args, ++i, "--only").split(",")) {
            if (!ALL.contains(g)) {
              throw new IllegalArgumentException("unknown group '" + g + "' in --only; groups are " + ALL);
            }
            groups.add(g);
          }
        }
        case "-h", "--help" -> throw new IllegalArgumentException(USAGE);
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + USAGE);
      }
    }
    return new Options(mode, out, mode == Mode.FULL && docs ? Path.of("docs", "benchmarks.png") : null, groups);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
    }
    return args[i];
  }
}
