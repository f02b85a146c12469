package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resigns whichever candidate leads, every 20 ms while switched on, so that a scenario's faults hit candidates in the
 * middle of a handoff; counts the resigns. Every term goes through the {@link History}, which checks them all. A
 * resign that fails or times out while the service is faulty is expected and not counted.
 */
final class HandoffLoop implements AutoCloseable {
  private final History history;
  private final Map<String, Candidate> candidates;
  private final Duration resignTimeout;
  private final AtomicBoolean on = new AtomicBoolean();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger resigns = new AtomicInteger();
  private final Thread thread;

  /** Starts the loop, switched off; {@code candidates} may change while it runs (a concurrent map). */
  HandoffLoop(String name, History history, Map<String, Candidate> candidates, Duration sessionTimeout) {
    this.history = history;
    this.candidates = candidates;
    this.resignTimeout = sessionTimeout.multipliedBy(2);
    this.thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Switches the resigning on or off; a resign already under way completes. */
  void enable(boolean resigning) {
    on.set(resigning);
  }

  /** Resigns that completed so far. */
  int resigns() {
    return resigns.get();
  }

  /** Waits until {@code n} more resigns completed, failing with rule 2.2 after {@code within}. */
  void awaitResigns(String what, int n, Duration within) throws InterruptedException {
    int target = resigns.get() + n;
    long end = System.nanoTime() + within.toNanos();
    while (resigns.get() < target) {
      if (System.nanoTime() - end > 0) {
        fail("rule 2.2: " + what + ": fewer than " + n + " handoffs within " + within + "; terms: " + history.terms());
      }
      Thread.sleep(10);
    }
  }

  private void loop() {
    while (!stop.get()) {
      if (on.get()) {
        for (var e : List.copyOf(candidates.entrySet())) {
          if (on.get() && e.getValue().isLeader()) {
            try {
              history.resign(e.getKey(), e.getValue()).toCompletableFuture()
                  .get(resignTimeout.toMillis(), TimeUnit.MILLISECONDS);
              resigns.incrementAndGet();
            } catch (Exception ex) {
              // A resign may fail or time out while the service is faulty; the history still checks every term.
            }
          }
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException ex) {
        return;
      }
    }
  }

  /** Stops the loop and waits for it (at most {@code 2 × sessionTimeout} plus a second). */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(resignTimeout.toMillis() + 1_000);
  }
}
