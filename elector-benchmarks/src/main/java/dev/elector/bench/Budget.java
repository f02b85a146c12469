package dev.elector.bench;

import java.time.Duration;

/** A deadline on the monotonic clock: every loop of a scenario stops at its count or its budget. */
record Budget(long deadlineNanos) {
  static Budget of(Duration d) {
    return new Budget(System.nanoTime() + d.toNanos());
  }

  boolean left() {
    return deadlineNanos - System.nanoTime() > 0;
  }

  Duration remaining() {
    return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
  }

  /** Polls a condition until it holds or the timeout (capped by this budget's end plus the timeout) passes. */
  static boolean await(Duration timeout, Check check) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (check.ok()) {
        return true;
      }
      if (System.nanoTime() - end > 0) {
        return false;
      }
      Thread.onSpinWait();
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
  }

  /** A condition that may do I/O. */
  @FunctionalInterface
  interface Check {
    boolean ok() throws Exception;
  }
}
