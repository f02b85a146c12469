package dev.elector.bench;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces measured steps that run one at a time, round-robin over lanes (each lane an election or a watcher pair of
 * its own): before a step, its lane must have been quiet for {@link #QUIET} and the whole harness for
 * {@link #SETTLE}.
 *
 * <p>"Quiet" for a lane means: since the moment a direct read last showed its line complete (or its watch set), no
 * step, join, close or resign of that lane has been issued; only its sessions' own heartbeats and watch set-up run.
 * "Settle" means: no measured step of any lane, nor its refill, has been in flight for that long. So a lane's 150 ms of
 * quiet overlaps the other lanes' steps, and no step is timed while another one is being served.
 */
final class Pacer {
  /** Quiet per lane before a steady step ({@code -Dbench.quietMs=}). */
  static final Duration QUIET = Duration.ofMillis(Long.getLong("bench.quietMs", 150));
  /** Harness-wide settle before every step ({@code -Dbench.settleMs=}). */
  static final Duration SETTLE = Duration.ofMillis(Long.getLong("bench.settleMs", 20));

  private long lastStepEnd = System.nanoTime() - SETTLE.toNanos();

  /** Waits until the lane has been quiet since {@code laneQuietSince} for {@code quiet} and the harness has settled. */
  void await(long laneQuietSince, Duration quiet) {
    long due = Math.max(laneQuietSince + quiet.toNanos(), lastStepEnd + SETTLE.toNanos());
    sleepUntil(due);
  }

  /** Waits only for the harness-wide settle. */
  void awaitSettle() {
    sleepUntil(lastStepEnd + SETTLE.toNanos());
  }

  /** Marks the end of a step (and of whatever refill followed it). */
  void stepEnded() {
    lastStepEnd = System.nanoTime();
  }

  /** Sleeps until {@code System.nanoTime()} reaches {@code due}; parks, then spins the last 100 µs. */
  static void sleepUntil(long due) {
    while (true) {
      long left = due - System.nanoTime();
      if (left <= 0) {
        return;
      }
      if (left > 200_000) {
        LockSupport.parkNanos(left - 100_000);
      } else {
        Thread.onSpinWait();
      }
    }
  }
}
