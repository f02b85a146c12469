package dev.elector.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log of a test COMMAND that shows when it lives: {@link #script()} appends a {@code start} line, then
 * {@code alive} lines from itself and {@code child} lines from a child it forks, every 50 ms, and an {@code end}
 * line when it gets SIGTERM. Each line is {@code KIND ID TOKEN MILLIS PID}, MILLIS read from /proc/uptime (one
 * monotonic clock for every process on the host). All processes append to one file, so the file's order is the
 * order in which the writes happened.
 */
final class CommandLog {
  /** One line of the log, at its index in the file. */
  record Line(int index, String kind, String id, long token, long millis, long pid) {
    String term() {
      return id + "/" + token;
    }
  }

  /** One run of COMMAND: its term's lines, in file order. */
  record Run(String term, List<Line> lines) {
    Line start() {
      return lines.get(0);
    }

    Line last() {
      return lines.get(lines.size() - 1);
    }
  }

  private final Path file;

  CommandLog(Path file) {
    this.file = file;
  }

  /** The COMMAND, as arguments for {@code elector campaign -- …}. */
  List<String> command() {
    return List.of("bash", "-c", script());
  }

  private String script() {
    String line = "\"$ELECTOR_ID $ELECTOR_TOKEN ${u/./}0 $BASHPID\" >> \"$log\"";
    return "log='" + file + "'; now() { read -r u _ </proc/uptime; }; "
        + "trap 'now; echo end " + line + "; exit 0' TERM; "
        + "now; echo start " + line + "; "
        // The child is a subshell: the TERM trap does not carry over, so SIGTERM ends it at once.
        + "( while :; do now; echo child " + line + "; sleep 0.05; done ) & "
        + "while :; do now; echo alive " + line + "; sleep 0.05; done";
  }

  List<Line> lines() {
    List<Line> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    List<String> raw;
    try {
      raw = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String s : raw) {
      String[] f = s.trim().split(" ");
      // A line being appended right now may be cut short; it is read whole next time.
      if (f.length == 5 && f[4].chars().allMatch(Character::isDigit) && !f[4].isEmpty()) {
        out.add(new Line(out.size(), f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])));
      }
    }
    return out;
  }

  /** The runs in the order they started. */
  List<Run> runs() {
    Map<String, List<Line>> byTerm = new LinkedHashMap<>();
    for (Line l : lines()) {
      if (l.kind().equals("start")) {
        byTerm.put(l.term(), new ArrayList<>());
      }
      List<Line> run = byTerm.get(l.term());
      if (run != null) {
        run.add(l);
      }
    }
    List<Run> out = new ArrayList<>();
    byTerm.forEach((term, lines) -> out.add(new Run(term, List.copyOf(lines))));
    return out;
  }

  /**
   * Every run whose lines go on after the next run's start, in file order or by timestamp: each is a time when two
   * COMMANDs lived at once.
   */
  static List<String> overlaps(List<Run> runs) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i < runs.size(); i++) {
      Run before = runs.get(i - 1);
      Run next = runs.get(i);
      if (before.last().index() > next.start().index() || before.last().millis() >= next.start().millis()) {
        out.add(before.term() + " lived until " + before.last() + ", after " + next.term() + " started: " + next.start());
      }
    }
    return out;
  }

  /** How long after the last sign of life of each run the next one started, in ms. */
  static List<Long> margins(List<Run> runs) {
    List<Long> out = new ArrayList<>();
    for (int i = 1; i < runs.size(); i++) {
      out.add(runs.get(i).start().millis() - runs.get(i - 1).last().millis());
    }
    return out;
  }

  @Override
  public String toString() {
    try {
      return Files.exists(file) ? Files.readString(file) : "(no log)";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
