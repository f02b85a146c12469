package dev.elector.cli;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.SessionState;
import dev.elector.spi.support.Errors;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One run of {@code elector campaign}: a candidate whose terms start and stop a child process.
 *
 * <p>All state changes happen under {@link #lock}; leadership callbacks arrive in order on one thread. At most one
 * child runs at a time: a term that starts while the previous child is still in its grace period waits for it.
 * Each child runs under a {@link Guard} that stops it by itself if this JVM stops renewing the guard's lease.
 */
final class Campaign implements LeadershipListener {
  /** How often a running child's term is re-checked, so a deadline that passes silently still stops it. */
  private static final Duration WATCHDOG_PERIOD = Duration.ofMillis(25);
  /** How long after the grace this JVM kills what is left itself, if the guard has not. */
  private static final Duration KILL_SLACK = Duration.ofSeconds(1);

  private final ElectionClient client;
  private final String election;
  private final String id;
  private final String data;
  private final List<String> command;
  private final Guard.Timing timing;
  private final boolean requeue;
  private final ChildLauncher launcher;
  private final PrintWriter err;

  private final ExecutorService events = Executors.newSingleThreadExecutor(Threads.daemon("elector-events"));
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Threads.daemon("elector-timer"));
  private final CompletableFuture<Integer> finished = new CompletableFuture<>();

  private final Object lock = new Object();
  private Child child; // guarded by lock
  private Leadership pending; // guarded by lock: a term waiting for the previous child to exit
  private boolean shuttingDown; // guarded by lock
  private volatile Candidate candidate;
  private volatile SessionState lastSessionState = SessionState.CONNECTED;

  Campaign(ElectionClient client, String election, String id, String data, List<String> command,
      Guard.Timing timing, boolean requeue, ChildLauncher launcher, PrintWriter err) {
    this.client = client;
    this.election = election;
    this.id = id;
    this.data = data;
    this.command = List.copyOf(command);
    this.timing = timing;
    this.requeue = requeue;
    this.launcher = launcher;
    this.err = err;
  }

  private static final class Child {
    final Leadership term;
    final Guard guard;
    boolean stopping;
    ScheduledFuture<?> watchdog;
    ScheduledFuture<?> killer;

    Child(Leadership term, Guard guard) {
      this.term = term;
      this.guard = guard;
    }
  }

  /** Campaigns until COMMAND exits by itself (without --requeue); returns its exit code. */
  int run() throws InterruptedException {
    Thread hook = new Thread(this::shutdown, "elector-campaign-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      client.addSessionListener(events, (state, sessionId) -> {
        SessionState before = lastSessionState;
        lastSessionState = state;
        if (state != before) {
          note("session " + state.name().toLowerCase(Locale.ROOT) + " (0x" + Long.toHexString(sessionId) + ")");
        }
      });
      candidate = client.election(election).candidate(id).data(data).listener(events, this).join();
      note("joined election '" + election + "'; waiting to lead");
      int code;
      try {
        code = finished.get();
      } catch (ExecutionException e) {
        throw new Failure(Main.EXIT_FAILURE, String.valueOf(Errors.unwrap(e).getMessage()), e.getCause());
      }
      synchronized (lock) {
        shuttingDown = true;
      }
      // Leave for good: the next in line takes over at once instead of after a session timeout.
      candidate.close();
      note("left election '" + election + "'");
      return code;
    } finally {
      client.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running or ran; nothing to undo
      }
    }
  }

  @Override
  public void elected(Leadership term) {
    synchronized (lock) {
      if (shuttingDown || finished.isDone()) {
        return;
      }
      if (!term.isValid()) {
        note("elected with token " + term.token() + ", but that term already ended; not starting COMMAND");
        return;
      }
      if (child != null) {
        note("elected with token " + term.token() + "; waiting for the previous COMMAND to exit first");
        pending = term;
        return;
      }
      start(term);
    }
  }

  @Override
  public void revoked(Leadership term, EndReason reason) {
    synchronized (lock) {
      if (pending == term) {
        pending = null;
      }
      if (child != null && child.term == term && !child.stopping) {
        stop(child, "leadership lost (" + describe(reason) + ")");
      } else {
        note("term with token " + term.token() + " ended (" + describe(reason) + ")");
      }
    }
  }

  /** Under {@link #lock}. */
  private void start(Leadership term) {
    Map<String, String> env = Map.of(
        "ELECTOR_TOKEN", Long.toString(term.token()),
        "ELECTOR_ELECTION", election,
        "ELECTOR_ID", id);
    Guard guard;
    try {
      guard = launcher.start("elector[" + id + "]", command, env, timing, term);
    } catch (IOException e) {
      note("cannot start COMMAND: " + e.getMessage());
      commandEnded(127);
      return;
    }
    if (guard == null) {
      note("elected with token " + term.token() + ", but that term already ended; not starting COMMAND");
      return;
    }
    Child c = new Child(term, guard);
    child = c;
    Process process = guard.process();
    note("leading with token " + term.token() + "; started COMMAND ("
        + (guard.isGuarded() ? "under its guard, pid " : "pid ") + process.pid() + ")");
    c.watchdog = timer.scheduleWithFixedDelay(() -> {
      if (!term.isValid()) {
        synchronized (lock) {
          stop(c, "leadership no longer valid");
        }
      }
    }, WATCHDOG_PERIOD.toMillis(), WATCHDOG_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    process.onExit().thenRunAsync(() -> exited(c), events);
  }

  /**
   * Under {@link #lock}: SIGTERM now, SIGKILL after the grace period (the guard does both, to COMMAND's whole process
   * group). Idempotent.
   */
  private void stop(Child c, String why) {
    if (c.stopping) {
      return;
    }
    c.stopping = true;
    c.watchdog.cancel(false);
    if (!c.guard.process().isAlive()) {
      return;
    }
    Duration grace = timing.grace();
    note(why + ": stopping COMMAND (SIGTERM now, SIGKILL in " + DurationConverter.format(grace) + ")");
    c.guard.stop();
    // The last resort, should the guard itself not be done in time (it reports its own SIGKILL).
    Duration last = c.guard.isGuarded() ? grace.plus(KILL_SLACK) : grace;
    c.killer = timer.schedule(() -> {
      // Only COMMAND itself is reported: its orphaned children may linger as zombies under a PID 1 that does not
      // reap, and would look alive here.
      if (c.guard.process().isAlive()) {
        note("COMMAND still running after " + DurationConverter.format(last) + ": SIGKILL");
      }
      c.guard.killNow();
    }, last.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void exited(Child c) {
    synchronized (lock) {
      c.watchdog.cancel(false);
      if (child == c) {
        child = null;
      }
      int code = c.guard.process().exitValue();
      if (!c.stopping && code == Guard.STOPPED_STATUS && c.guard.lapsed()) {
        // The lease ran out: this JVM renewed too late (it was frozen, or starved), or the term's deadline came (a
        // cut-off session is not renewed), so the guard stopped COMMAND by itself. (Or, if the renewal was just in
        // time, COMMAND died of a SIGTERM from elsewhere: also not an exit to end on.)
        c.stopping = true;
        if (c.term.isValid()) {
          // The session outlived the pause, but this term's COMMAND is gone: start afresh in a new term.
          note("COMMAND was stopped by its guard: its lease ran out; resigning to start again");
          if (!shuttingDown) {
            resign();
          }
        }
      }
      if (c.stopping) {
        // The scheduled SIGKILL stays armed for COMMAND's own children until the grace period ends.
        note("COMMAND stopped (exit code " + code + ")");
        Leadership next = pending;
        pending = null;
        if (next != null && next.isValid() && !shuttingDown) {
          start(next);
        }
        return;
      }
      if (shuttingDown) {
        return;
      }
      note("COMMAND exited by itself with code " + code);
      commandEnded(code);
    }
  }

  /** Under {@link #lock}: COMMAND is over without being asked to stop. */
  private void commandEnded(int code) {
    if (requeue && candidate != null) {
      note("resigning; campaigning again (--requeue)");
      resign();
    } else {
      finished.complete(code);
    }
  }

  /** Goes to the back of the line; the campaign goes on. */
  private void resign() {
    Candidate cand = candidate;
    if (cand != null) {
      cand.resign().whenComplete((ok, failure) -> {
        if (failure != null) {
          note("resign failed: " + Errors.unwrap(failure).getMessage());
        }
      });
    }
  }

  /** SIGINT/SIGTERM: stop COMMAND within the grace period, leave the election, end the session. */
  private void shutdown() {
    Child c;
    synchronized (lock) {
      if (shuttingDown) {
        return;
      }
      shuttingDown = true;
      c = child;
      if (c != null) {
        stop(c, "elector is stopping");
      }
    }
    if (c != null) {
      try {
        c.guard.process().onExit().get(timing.grace().plus(KILL_SLACK).toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        c.guard.killNow();
      }
    }
    Candidate cand = candidate;
    if (cand != null) {
      cand.close();
    }
    client.close();
    note("left election '" + election + "'");
  }

  private void note(String message) {
    synchronized (err) {
      err.println("elector[" + id + "]: " + message);
      err.flush();
    }
  }

  static String describe(EndReason reason) {
    return switch (reason) {
      case RESIGNED -> "resigned";
      case CLOSED -> "closed";
      case SESSION_SUSPENDED -> "lost contact with the service";
      case SESSION_EXPIRED -> "session expired";
      case DEADLINE_PASSED -> "session deadline passed";
      case TICKET_LOST -> "ticket removed by someone else";
    };
  }
}
