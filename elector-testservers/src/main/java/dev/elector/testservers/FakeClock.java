package dev.elector.testservers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A server whose clock runs at another rate than this host's: libfaketime (Debian package {@code faketime})
 * preloaded into its process. The wall clock and the monotonic clock both advance {@code rate} seconds per second of
 * this host's, and timed waits shrink to match, so whatever the server times on its own clock (a session's expiry,
 * a lease row's) comes that much sooner or later than this host's clock says. It reaches C programs and JVMs, not
 * Go programs such as etcd, which read the clock without the C library.
 *
 * <p>libfaketime keeps its state in {@code /dev/shm}, named by the pid of the first process it loads into. It deletes
 * the files when that process, or the first of its children, exits normally; {@link #deleteState} deletes them after
 * a process that was killed.
 */
public final class FakeClock {
  private FakeClock() {}

  /**
   * The environment that runs a process with its clock at {@code rate}, counted from the process's start.
   *
   * @param rate seconds of the process's clock per second of this host's; positive
   * @throws IllegalArgumentException if {@code rate} is not a positive number
   * @throws IllegalStateException if libfaketime is not installed, naming the package and where it was looked for
   */
  public static Map<String, String> env(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("clock rate " + rate + " must be a positive number");
    }
    // "+0 x<rate>": from the process's start, its clock advances rate seconds per second of this host's.
    return Map.of("LD_PRELOAD", library().toString(), "FAKETIME", String.format(Locale.ROOT, "+0 x%.4f", rate),
        "FAKETIME_NO_CACHE", "1");
  }

  /** One reading of a server's clock, in seconds, taken through the server (a query, a znode's mtime). */
  @FunctionalInterface
  public interface Reading {
    /** The server clock's reading now, in seconds. */
    double seconds() throws Exception;
  }

  /**
   * The rate of a server's clock against this host's, over {@code window}, to check that a clock set with
   * {@link #env} is in force. Each reading is set against the middle of its round trip, so a late answer moves the
   * estimate by at most half its delay over the whole window; a first reading warms the path up.
   */
  public static double measureRate(Reading server, Duration window) throws Exception {
    server.seconds();
    long a0 = System.nanoTime();
    double first = server.seconds();
    long a1 = System.nanoTime();
    Thread.sleep(window.toMillis()); // the interval measured
    long b0 = System.nanoTime();
    double second = server.seconds();
    long b1 = System.nanoTime();
    return (second - first) / (((b0 + b1) / 2.0 - (a0 + a1) / 2.0) / 1e9);
  }

  /** Deletes the {@code /dev/shm} state libfaketime left for process {@code pid}, if any. */
  public static void deleteState(long pid) {
    for (String f : List.of("faketime_shm_", "sem.faketime_sem_")) {
      try {
        Files.deleteIfExists(Path.of("/dev/shm", f + pid));
      } catch (IOException e) {
        // left in /dev/shm: a few bytes, named by a pid
      }
    }
  }

  /** {@code ELECTOR_FAKETIME_LIB}, else Debian's libfaketime for this machine's architecture. */
  private static Path library() {
    String set = System.getenv("ELECTOR_FAKETIME_LIB");
    List<Path> tried = new ArrayList<>();
    if (set != null) {
      tried.add(Path.of(set));
    } else {
      try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
        dirs.map(d -> d.resolve("faketime/libfaketime.so.1")).sorted().forEach(tried::add);
      } catch (IOException e) {
        // no /usr/lib: nothing to try
      }
    }
    for (Path p : tried) {
      if (Files.isReadable(p)) {
        return p;
      }
    }
    throw new IllegalStateException("libfaketime not found (" + (set != null ? "ELECTOR_FAKETIME_LIB=" + set
        : "looked for /usr/lib/*/faketime/libfaketime.so.1") + "): install Debian's faketime package or set "
        + "ELECTOR_FAKETIME_LIB to the library");
  }
}
