package dev.elector.cli;

import dev.elector.Leadership;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One run of COMMAND and the JVM's half of its guard. The other half, {@code guard.sh}, is a bash process in a
 * session of its own that starts COMMAND as the leader of a new process group and stops that whole group (SIGTERM,
 * then SIGKILL after the grace) when the term ends, when elector is gone, or when elector has not renewed its lease
 * in time. So COMMAND does not outlive its term even while this JVM is frozen (a GC pause, SIGSTOP, a debugger, a
 * swapping host) or after it was killed, and processes COMMAND forks stop with it.
 *
 * <p>The lease. While the term is valid, one thread of this JVM that does nothing else tells the guard every
 * {@link Timing#renewEvery()} that the lease now ends {@link Timing#lease()} after the moment it checked, or at the
 * term's {@link Leadership#validUntilNanos() deadline} if that comes first; instants are read from /proc/uptime by
 * both sides, a monotonic clock they share. COMMAND starts on the first renewal. Why this is safe: the term's
 * deadline lies before the service can expire the session and elect a successor (SPEC rule 1.3), on every backend
 * and whether the client is cut off or this JVM is frozen; no lease reaches past it, and the guard's SIGKILL lands
 * before the lease ends, whether or not this JVM ever runs again. The grace is part of the lease: the guard sends
 * SIGTERM when only the grace is left, which is why the grace may be at most a sixth of the session timeout: the
 * rest is the slack against pauses of this JVM or of the guard that end in time, and a healthy session's deadline
 * stays at least about 0.23 of the timeout ahead (see {@link Timing#maxGrace}).
 *
 * <p>Without setsid, bash or setpriv (not Linux), COMMAND runs plainly: stopped from this JVM only, its tree as
 * found at the time, and not at all if this JVM is killed or frozen.
 */
final class Guard {
  private static final String SCRIPT = resource("guard.sh");
  /** The guard's exit status when it stopped COMMAND (otherwise it exits with COMMAND's own status). */
  static final int STOPPED_STATUS = 143;
  /** The resolution of /proc/uptime; the guard takes it off its deadlines. */
  static final Duration CLOCK_TICK = Duration.ofMillis(10);

  /** How the guard's lease follows from the session timeout and the grace (see the class comment). */
  record Timing(Duration lease, Duration grace, Duration renewEvery) {
    /**
     * The longest grace a session timeout allows: a sixth of it. The lease is capped by the term's deadline, which
     * between two renewals of a healthy session may come as close as about 0.23 of the timeout (ZooKeeper: the
     * deadline counts from the heartbeat before last, a third of the timeout apart, less the margin); a grace
     * beyond that would send SIGTERM to a healthy leader's COMMAND.
     */
    static Duration maxGrace(Duration sessionTimeout) {
      return sessionTimeout.dividedBy(6);
    }

    static Timing of(Duration sessionTimeout, Duration grace) {
      if (grace.compareTo(maxGrace(sessionTimeout)) > 0) {
        throw new IllegalArgumentException("grace " + grace + " is longer than a sixth of " + sessionTimeout);
      }
      Duration lease = sessionTimeout.dividedBy(3);
      // The guard waits lease - grace without news before SIGTERM: ten renewals fit in that wait.
      Duration every = lease.minus(grace).dividedBy(10);
      return new Timing(lease, grace, every.compareTo(Duration.ofMillis(5)) < 0 ? Duration.ofMillis(5) : every);
    }
  }

  private final Process process;
  private final OutputStream toGuard; // null when COMMAND runs unguarded
  private final Timing timing;
  /** The term COMMAND runs for; null when unguarded. */
  private final Leadership term;
  private volatile boolean stopAsked;
  private volatile boolean renewed; // a lease was sent; COMMAND starts on the first one
  private volatile long leaseEnd; // the last lease sent, ms on /proc/uptime
  private volatile boolean late; // a renewal was written when the guard may already have given up on the lease
  private final Thread renewer;

  private Guard(Process process, boolean guarded, Timing timing, Leadership term) {
    this.process = process;
    this.toGuard = guarded ? process.getOutputStream() : null;
    this.timing = timing;
    this.term = term;
    this.renewer = guarded ? new Thread(this::renew, "elector-renewal") : null;
    if (renewer != null) {
      renewer.setDaemon(true);
      renewer.setPriority(Thread.MAX_PRIORITY);
      renewer.start();
    }
  }

  /** The argv that runs COMMAND under a guard; COMMAND starts on the guard's first renewal. */
  static List<String> guardedCommand(Path setsid, Path bash, String name, Timing timing, List<String> command) {
    List<String> argv = new java.util.ArrayList<>(List.of(setsid.toString(), bash.toString(), "-c", SCRIPT,
        "elector-guard", name, Long.toString(timing.grace().toMillis())));
    argv.addAll(command);
    return argv;
  }

  /** Wraps a guard started with {@link #guardedCommand}; renewals start at once. */
  static Guard guarded(Process guard, Timing timing, Leadership term) {
    return new Guard(guard, true, timing, term);
  }

  /** Wraps COMMAND started plainly. */
  static Guard unguarded(Process command, Timing timing) {
    return new Guard(command, false, timing, null);
  }

  /** The guard's process (it exits with COMMAND's status when COMMAND exits by itself), or COMMAND unguarded. */
  Process process() {
    return process;
  }

  boolean isGuarded() {
    return toGuard != null;
  }

  /** The renewal thread: renews while the term is valid, then passes on a stop request; nothing else. */
  private void renew() {
    long every = timing.renewEvery().toNanos();
    long lease = timing.lease().toMillis();
    boolean renewing = true;
    try {
      while (process.isAlive()) {
        if (stopAsked) {
          send("stop");
          return;
        }
        if (renewing) {
          // The guard's clock is read first, the term's deadline after: the lease ends no later than the instant
          // the term stops being valid, and no later than a lease after this check.
          long now = uptimeMillis();
          long left = term.validUntilNanos() - System.nanoTime();
          if (left > 0) {
            long end = now + Math.min(lease, TimeUnit.NANOSECONDS.toMillis(left));
            send(Long.toString(end));
            // Written before this instant: if that is still before the guard's deadline for the previous lease,
            // the guard had it in time (it reads what waits in the pipe before it gives up).
            if (renewed && uptimeMillis() >= deadline(leaseEnd)) {
              late = true;
            }
            leaseEnd = end;
            renewed = true;
          } else {
            // Never renewed again: a term that ended stays ended. The guard stops COMMAND when asked or when the
            // lease runs out, whichever comes first.
            renewing = false;
          }
        }
        LockSupport.parkNanos(this, every);
      }
    } catch (IOException e) {
      // The guard is gone (its stdin closed): nothing left to renew.
    }
  }

  private void send(String line) throws IOException {
    toGuard.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    toGuard.flush();
  }

  /** Stops COMMAND: the guard sends SIGTERM now and SIGKILL after the grace. Idempotent; never blocks. */
  void stop() {
    if (isGuarded()) {
      stopAsked = true;
      LockSupport.unpark(renewer);
      return;
    }
    // Taken before the signal: once COMMAND is gone its children are reparented and no longer found from it.
    List<ProcessHandle> tree = process.descendants().toList();
    process.destroy();
    tree.forEach(ProcessHandle::destroy);
  }

  /** SIGKILL to everything still found under this process, and to it. The last resort after the grace. */
  void killNow() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /**
   * Whether the guard may have given up on its lease (so it stopped COMMAND by itself, if it exited): a renewal
   * came after the guard's deadline for the one before, or the guard's deadline for the last one has passed.
   * Conservative: true also when the guard was just in time.
   */
  boolean lapsed() {
    return isGuarded() && renewed && (late || uptimeMillis() >= deadline(leaseEnd));
  }

  /** When the guard sends SIGTERM for a lease ending at {@code end}: the grace and one clock tick before. */
  private long deadline(long end) {
    return end - timing.grace().toMillis() - CLOCK_TICK.toMillis();
  }

  /** Now, in ms on /proc/uptime: CLOCK_BOOTTIME, monotonic, the clock the guard reads too. */
  static long uptimeMillis() {
    try {
      String s = new String(Files.readAllBytes(UPTIME), StandardCharsets.US_ASCII);
      String seconds = s.substring(0, s.indexOf(' '));
      int dot = seconds.indexOf('.');
      return Long.parseLong(seconds.substring(0, dot)) * 1000 + Long.parseLong(seconds.substring(dot + 1)) * 10;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean clockAvailable() {
    return Files.isReadable(UPTIME);
  }

  private static final Path UPTIME = Path.of("/proc/uptime");

  private static String resource(String name) {
    try (InputStream in = Guard.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
