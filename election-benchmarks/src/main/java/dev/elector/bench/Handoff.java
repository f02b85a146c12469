package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Planned handoff: the leader closes (or resigns); the figure is the time from that call to the successor's
 * {@code elected} callback. Every candidate has a session of its own, as separate processes would.
 *
 * <p>Steady: five candidates in line; before each handoff the line is full again and has been quiet for a pause,
 * so the successor has been waiting a while. Churn: the successor's ticket appeared in the line just before the
 * handoff (the leader acts as soon as a direct read of the line shows it), so its wait is still being set up: the
 * case where a watch that starts at an old revision is served late.
 */
final class Handoff {
  enum Mode {
    CLOSE, RESIGN;

    String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final int STEADY_LINE = 5;
  /** Quiet time before each steady handoff; -Dbench.steadyPauseMs changes it to see how idle threads wake. */
  private static final Duration STEADY_PAUSE = Duration.ofMillis(Long.getLong("bench.steadyPauseMs", 10));
  private static final Duration WAIT = Duration.ofSeconds(10);
  static final Duration WAIT_JOIN = Duration.ofSeconds(10);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private Handoff() {}

  static String scenario(Mode mode, boolean churn, String backend) {
    return "handoff " + mode.word() + " " + (churn ? "churn" : "steady") + " · " + backend;
  }

  record Event(Member member, long nanos) {}

  /** Runs one contender through {@code warmup + count} handoffs, or as many as fit the budget. */
  static Row run(Contender c, String backend, Mode mode, boolean churn, int warmup, int count, Duration budget) {
    String scenario = scenario(mode, churn, backend);
    String election = "handoff-" + mode.word() + "-" + (churn ? "churn" : "steady") + "-" + RUNS.incrementAndGet();
    int line = churn ? 2 : STEADY_LINE;
    LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    List<Session> sessions = new ArrayList<>();
    LongList samples = new LongList();
    String note = "";
    Budget b = null;
    try {
      for (int i = 0; i < line; i++) {
        sessions.add(c.session());
      }
      Member[] slot = new Member[line];
      int seq = 0;
      slot[0] = sessions.get(0).join(election, "c" + seq++, (m, t) -> events.add(new Event(m, t)));
      Member leader = next(events, null);
      int leaderSlot = 0;
      // Fill the line in order: steady keeps all slots filled; churn fills one follower per handoff below.
      int filled = churn ? 1 : line;
      for (int i = 1; i < filled; i++) {
        slot[i] = sessions.get(i).join(election, "c" + seq++, (m, t) -> events.add(new Event(m, t)));
        int want = i + 1;
        awaitLine(c, election, want);
      }
      // The budget covers the handoffs, not opening sessions, which a loaded machine can make slow.
      b = Budget.of(budget);
      int done = 0;
      while (done < warmup + count && b.left()) {
        int freeSlot = -1;
        if (churn && (mode == Mode.CLOSE || slot[1 - leaderSlot] == null)) {
          freeSlot = 1 - leaderSlot;
          slot[freeSlot] = sessions.get(freeSlot).join(election, "c" + seq++, (m, t) -> events.add(new Event(m, t)));
        }
        // Churn: act the moment the new ticket is visible; steady: after the line is full and quiet.
        awaitLine(c, election, line);
        if (!churn) {
          Thread.sleep(STEADY_PAUSE.toMillis());
        }
        long t0 = System.nanoTime();
        if (mode == Mode.CLOSE) {
          leader.close();
        } else {
          leader.resign();
        }
        Event e = nextOther(events, leader);
        if (done >= warmup) {
          samples.add(e.nanos() - t0);
        }
        done++;
        int newSlot = indexOf(slot, e.member());
        if (mode == Mode.CLOSE) {
          slot[leaderSlot] = null;
          if (!churn) {
            // The closed leader's session takes a newcomer at the back of the line.
            slot[leaderSlot] = sessions.get(leaderSlot).join(election, "c" + seq++,
                (m, t) -> events.add(new Event(m, t)));
          }
        }
        leader = e.member();
        leaderSlot = newSlot;
      }
      if (samples.size() < count) {
        note = "budget reached after " + samples.size() + " of " + count;
      }
    } catch (Exception | AssertionError e) {
      note = "failed after " + samples.size() + ": " + e;
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      sessions.forEach(Handoff::quietClose);
    }
    return new Row(scenario, c.name(), c.elector(), Unit.NANOS, samples.toArray(), note);
  }

  private static int indexOf(Member[] slot, Member m) {
    for (int i = 0; i < slot.length; i++) {
      if (slot[i] == m) {
        return i;
      }
    }
    throw new IllegalStateException("elected candidate " + m.id() + " is not one of this run's");
  }

  static void awaitLine(Contender c, String election, int size) throws Exception {
    if (!Budget.await(WAIT, () -> c.lineSize(election) == size)) {
      throw new IllegalStateException(
          "line of " + election + " did not reach " + size + " within " + WAIT + " (is " + c.lineSize(election) + ")");
    }
  }

  private static Member next(LinkedBlockingQueue<Event> events, Member not) throws InterruptedException {
    return nextOther(events, not).member();
  }

  /** The next elected event of a candidate other than {@code not}: the successor. */
  static Event nextOther(LinkedBlockingQueue<Event> events, Member not) throws InterruptedException {
    return nextOther(events, not, WAIT);
  }

  /** The same, waiting at most {@code wait}. */
  static Event nextOther(LinkedBlockingQueue<Event> events, Member not, Duration wait) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (true) {
      Event e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new IllegalStateException("no successor elected within " + wait);
      }
      if (e.member() != not) {
        return e;
      }
    }
  }

  static void quietClose(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("close failed: " + e);
    }
  }
}
