package dev.elector.tck;

import dev.elector.LeaderObserver;
import dev.elector.Participant;
import dev.elector.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Records what one {@link LeaderObserver} receives and checks the observation rules: tokens never go back (5.3)
 * and nothing starts after {@link Subscription#cancel()} returned (5.4). Reusable by soak tests.
 */
public final class ObserverLog implements LeaderObserver {
  private final String name;
  private final List<Optional<Participant>> seen = new ArrayList<>();
  private final List<Long> times = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private long cancelledAt;
  private String cancelRule = "5.4";
  private Subscription subscription;

  public ObserverLog(String name) {
    this.name = name;
  }

  /** Remembers the subscription, so {@link #cancel()} can time the cancellation. */
  public synchronized ObserverLog subscribed(Subscription s) {
    this.subscription = s;
    return this;
  }

  @Override
  public void leaderChanged(Optional<Participant> leader) {
    long now = System.nanoTime();
    synchronized (this) {
      if (cancelledAt != 0 && now - cancelledAt > 0) {
        violations.add("rule " + cancelRule + ": observer " + name + " received " + show(leader) + " after "
            + (cancelRule.equals("5.4") ? "cancel()" : "its client's close()") + " returned\n" + describe());
      }
      if (!seen.isEmpty()) {
        Optional<Participant> last = lastLeader();
        if (leader.isPresent() && last.isPresent()) {
          Participant a = last.get();
          Participant b = leader.get();
          boolean sameHolder = a.token() == b.token() && a.candidateId().equals(b.candidateId());
          if (b.token() < a.token() || (b.token() == a.token() && !sameHolder)) {
            violations.add("rule 5.3: observer " + name + " saw token go from " + a.token() + " (" + a.candidateId()
                + ") to " + b.token() + " (" + b.candidateId() + ")\n" + describe());
          }
        }
      }
      seen.add(leader);
      times.add(now);
      notifyAll();
    }
  }

  /** The last non-empty leader reported, or empty. */
  private Optional<Participant> lastLeader() {
    for (int i = seen.size() - 1; i >= 0; i--) {
      if (seen.get(i).isPresent()) {
        return seen.get(i);
      }
    }
    return Optional.empty();
  }

  /** Cancels the subscription and records when {@code cancel()} returned. */
  public void cancel() {
    Subscription s;
    synchronized (this) {
      s = subscription;
    }
    s.cancel();
    synchronized (this) {
      cancelledAt = System.nanoTime();
    }
  }

  /** Records that the observer's client was closed now: from here on it must receive nothing (rule 4.2, 5.4). */
  public synchronized void closedNow() {
    cancelledAt = System.nanoTime();
    cancelRule = "4.2";
  }

  /** Everything received so far, in order. */
  public synchronized List<Optional<Participant>> seen() {
    return List.copyOf(seen);
  }

  /**
   * Waits until some report at index {@code >= from} matches, at most {@code timeout}; returns its index, or -1.
   */
  public synchronized int awaitFrom(int from, Predicate<Optional<Participant>> p, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int i = Math.max(0, from); i < seen.size(); i++) {
        if (p.test(seen.get(i))) {
          return i;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return -1;
      }
      wait(Math.max(1, Math.min(50, left / 1_000_000)));
    }
  }

  /** Rule violations found while recording. */
  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /** Throws an {@link AssertionError} starting with the first violated rule. */
  public synchronized void assertValid() {
    if (!violations.isEmpty()) {
      throw new AssertionError(violations.get(0)
          + (violations.size() > 1 ? "\n  (" + (violations.size() - 1) + " more)" : ""));
    }
  }

  /** The reports as text, for failure messages. */
  public synchronized String describe() {
    StringBuilder sb = new StringBuilder("  observer ").append(name).append(" saw:");
    for (int i = Math.max(0, seen.size() - 15); i < seen.size(); i++) {
      sb.append("\n    #").append(i).append(' ').append(show(seen.get(i)));
    }
    if (cancelledAt != 0) {
      sb.append("\n    (cancelled)");
    }
    return sb.toString();
  }

  static String show(Optional<Participant> p) {
    return p.map(x -> x.candidateId() + "(token=" + x.token() + ", data=" + x.dataAsString() + ")")
        .orElse("<no leader>");
  }
}
