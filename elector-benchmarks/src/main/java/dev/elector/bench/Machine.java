package dev.elector.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run's machine figures, per phase: wall time, this JVM's GC pauses (count and total, from the
 * GarbageCollectorMXBeans), CPU time used by this process and by each server process (from /proc/PID/stat), and the
 * load average at the phase's start and end (/proc/loadavg). A ratio taken while the machine was loaded, or while a
 * server burnt CPU on something else, shows here.
 */
final class Machine {
  private final Map<String, Long> servers = new LinkedHashMap<>();
  private final List<String> lines = new ArrayList<>();

  /** Clock ticks per second of /proc's CPU times ({@code getconf CLK_TCK}; 100 on Linux unless told otherwise). */
  private static final long CLK_TCK = clockTicks();

  /** Registers a server process whose CPU time each phase reports; replaces one of the same name. */
  synchronized void server(String name, long pid) {
    servers.put(name, pid);
  }

  synchronized void forget(String name) {
    servers.remove(name);
  }

  /** Figures at a phase's start. */
  final class Phase implements AutoCloseable {
    private final String name;
    private final long t0 = System.nanoTime();
    private final long gcCount0 = gcCount();
    private final long gcMillis0 = gcMillis();
    private final long cpu0 = processCpuNanos();
    private final Map<String, Long> serverCpu0 = new LinkedHashMap<>();
    private final String load0 = loadAverage();

    Phase(String name) {
      this.name = name;
      synchronized (Machine.this) {
        servers.forEach((n, pid) -> serverCpu0.put(n, cpuNanos(pid)));
      }
    }

    /** Records and prints the phase's line. */
    @Override
    public void close() {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
          "%-34s %6.1f s wall; GC %d pauses %d ms; bench CPU %.1f s", name, (System.nanoTime() - t0) / 1e9,
          gcCount() - gcCount0, gcMillis() - gcMillis0, (processCpuNanos() - cpu0) / 1e9));
      synchronized (Machine.this) {
        servers.forEach((n, pid) -> {
          Long before = serverCpu0.get(n);
          long now = cpuNanos(pid);
          if (before != null && before >= 0 && now >= 0) {
            sb.append(String.format(Locale.ROOT, "; %s CPU %.1f s", n, (now - before) / 1e9));
          }
        });
        sb.append("; load ").append(load0).append(" → ").append(loadAverage());
        lines.add(sb.toString());
      }
      System.out.println("  machine: " + sb);
    }
  }

  Phase phase(String name) {
    return new Phase(name);
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  static long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, b.getCollectionCount());
    }
    return n;
  }

  /** Total collection time; for G1 this is the young and mixed pauses plus the concurrent cycle's pauses. */
  static long gcMillis() {
    long n = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, b.getCollectionTime());
    }
    return n;
  }

  static long processCpuNanos() {
    return cpuNanos(ProcessHandle.current().pid());
  }

  /** User + system CPU time of a process from /proc/PID/stat, or -1 if it cannot be read. */
  static long cpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) is in parentheses and may hold spaces: fields count from after its ')'.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 1_000_000_000L / CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The 1-minute load average and runnable/total tasks, e.g. "1.52 (3/412)", or "?" off Linux. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " (" + f[3] + ")";
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      long v = Long.parseLong(out);
      return v > 0 ? v : 100;
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  /**
   * The fsync probe: writes 4 KiB and forces it to disk, {@code count} times, in a file in {@code dir} (the temp dir
   * the servers' data dirs are in): each value is one write + force. A slow or shared disk shows up here before it
   * shows up in the commit floors.
   */
  static void fsyncProbe(Results res, Path dir, int count, Duration budget) {
    LongList out = new LongList();
    String note = "";
    Path f = null;
    try {
      f = Files.createTempFile(dir, "elector-bench-fsync", ".bin");
      ByteBuffer block = ByteBuffer.allocate(4096);
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        Budget b = Budget.of(budget);
        for (int i = 0; i < count + count / 10 && b.left(); i++) {
          block.clear();
          long t0 = System.nanoTime();
          ch.write(block, (long) (i % 256) * 4096);
          ch.force(false);
          if (i >= count / 10) {
            out.add(System.nanoTime() - t0);
          }
        }
      }
      if (out.size() < count) {
        note = "budget reached after " + out.size() + " of " + count;
      }
    } catch (IOException e) {
      note = "failed: " + e;
    } finally {
      if (f != null) {
        Files2.deleteTree(f);
      }
    }
    res.add(Floors.FSYNC, "this machine", false, Unit.NANOS, out.toArray(),
        ("probe in " + dir + (note.isEmpty() ? "" : "; " + note)));
  }
}
