package dev.elector;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One leader-only task run for one term on a thread of its own. Invariants: the task is never started, nor run again,
 * once the term is invalid or {@link #stop()} was called; {@link #stop()} interrupts the thread at most once; and
 * {@link #stopped()} completes only when the thread has left the task, so nothing of this run executes after it.
 * Only {@link #stop()} ends a run early: an interrupt from anywhere else (or an {@code InterruptedException} the task
 * throws while its term is valid) counts as a failed run, so a periodic task keeps running; an {@link Error} ends the
 * run for this term. A run holds its predecessor only until that has returned, so past terms are not kept alive.
 */
final class TermRun {
  private static final System.Logger LOG = System.getLogger("dev.elector");

  private final Leadership term;
  private final String taskName;
  private final LeaderTask task;
  /** Zero for a task run once per term; otherwise the pause between the starts of two runs. */
  private final long periodNanos;
  /** Cleared once awaited: a chain of past runs must not keep every past term reachable. */
  private volatile TermRun previous;
  private final Thread thread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  /** When {@link #stop()} was first called on the nanoTime clock; 0 while not stopped. */
  private final AtomicLong stopNanos = new AtomicLong();
  private final AtomicBoolean reportClaimed = new AtomicBoolean();
  private final CompletableFuture<Void> reported = new CompletableFuture<>();

  /**
   * @param previous the run of the same task for an earlier term, awaited before this one starts, so two runs of one
   *     task never overlap even when the earlier one ignores interruption; null if none
   */
  TermRun(Leadership term, String taskName, LeaderTask task, Duration period, TermRun previous) {
    this.term = term;
    this.taskName = taskName;
    this.task = task;
    this.periodNanos = period == null ? 0 : period.toNanos();
    this.previous = previous;
    this.thread = new Thread(this::body,
        "elector-work-" + term.election() + "-" + term.candidateId() + "-" + term.token() + "-" + taskName);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  Leadership term() {
    return term;
  }

  String taskName() {
    return taskName;
  }

  /** Completes when the task has returned (or was never started); never exceptionally. */
  CompletableFuture<Void> stopped() {
    return stopped;
  }

  boolean isStopping() {
    return stopNanos.get() != 0;
  }

  /**
   * Asks the run to end: no further run starts, and the thread is interrupted, unless the task itself asks (it called
   * {@code resign()} or {@code close()}, and must be able to wait for that). Idempotent.
   */
  void stop() {
    if (stopNanos.compareAndSet(0, Math.max(1, System.nanoTime())) && !runsOn(Thread.currentThread())) {
      thread.interrupt();
    }
  }

  /** Whether {@code t} is this run's own thread, which must never wait for the run to return. */
  boolean runsOn(Thread t) {
    return t == thread;
  }

  /** True for exactly one caller: the one that reports this run's overrun and then completes {@link #reported()}. */
  boolean claimReport() {
    return reportClaimed.compareAndSet(false, true);
  }

  /** Completes once this run's overrun has been reported (warning logged, callback returned). */
  CompletableFuture<Void> reported() {
    return reported;
  }

  /** How long after {@link #stop()} the task is still running now (zero if not stopped). */
  Duration overdue() {
    long s = stopNanos.get();
    return s == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - s);
  }

  WorkOverrun overrun() {
    return new WorkOverrun(term.election(), term.candidateId(), term.token(), taskName, thread.getName(), overdue(),
        thread.getStackTrace());
  }

  private boolean mayRun() {
    return !isStopping() && term.isValid();
  }

  private void body() {
    try {
      TermRun p = previous;
      if (p != null) {
        p.thread.join();
        previous = null;
      }
      long next = System.nanoTime();
      while (mayRun()) {
        try {
          task.run(term);
        } catch (Exception e) {
          if (!mayRun()) {
            return;
          }
          LOG.log(System.Logger.Level.WARNING, "Leader-only task '" + taskName + "' of candidate '"
              + term.candidateId() + "' in election '" + term.election() + "' failed in term " + term.token()
              + (periodNanos == 0 ? "" : "; it runs again after its period"), e);
        }
        if (periodNanos == 0) {
          return;
        }
        next += periodNanos;
        long now = System.nanoTime();
        if (next - now < 0) {
          next = now; // runs that fell behind are skipped, not run back to back
        }
        pause(next - now);
      }
    } catch (InterruptedException e) {
      // only while awaiting the previous run, which stop() interrupts: the term has ended
    } catch (Error e) {
      LOG.log(System.Logger.Level.ERROR, "Leader-only task '" + taskName + "' of candidate '" + term.candidateId()
          + "' in election '" + term.election() + "' ended term " + term.token() + "'s runs with an error", e);
    } finally {
      long s = stopNanos.get();
      if (s != 0 && System.nanoTime() - s > 0) {
        LOG.log(System.Logger.Level.DEBUG, "Leader-only task ''{0}'' (term {1}) stopped {2} ms after its term ended",
            taskName, term.token(), (System.nanoTime() - s) / 1_000_000);
      }
      stopped.complete(null);
    }
  }

  /** Sleeps until the next run; an interrupt not sent by {@link #stop()} is cleared, and the run goes on. */
  private void pause(long nanos) {
    Thread.interrupted(); // one the task left set, or a stray one: only stop() ends a run, and it sets isStopping
    long until = System.nanoTime() + nanos;
    for (long left = nanos; left > 0 && mayRun(); left = until - System.nanoTime()) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        // stop() interrupted (mayRun() is now false) or a stray interrupt: either way the loop decides
      }
    }
  }
}
