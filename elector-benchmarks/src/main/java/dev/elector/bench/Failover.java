package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Crash failover and partition step-down, from the same trials: the leader's client reaches the server through a
 * {@link FaultProxy}, which is partitioned for good (the server sees what a dead process looks like: silence). The
 * trial records when the leader's own validity check turns false (polled every 50 µs on a thread of its own) and
 * when the successor, on a direct session, is elected. The cut falls at a random phase of the heartbeat cycle.
 *
 * <p>Every contender runs one trial at a time, all contenders side by side, so each batch costs one session
 * timeout.
 */
final class Failover {
  static final Duration WAIT = Duration.ofSeconds(15);
  private static final AtomicInteger RUNS = new AtomicInteger();

  /** One contender's figures, in nanoseconds; {@code invalid} is -1 when there is no validity check. */
  record Trial(long failover, long invalid) {}

  static String crash(String backend) {
    return "crash failover · " + backend;
  }

  static String stepDown(String backend) {
    return "partition: cut → leader invalid · " + backend;
  }

  static String margin(String backend) {
    return "partition: invalid → successor (margin) · " + backend;
  }

  private Failover() {}

  /**
   * A server and the contenders that use it.
   *
   * @param backend the label in the rows' scenario names
   * @param timeout the contenders' session timeout / lease TTL
   * @param trials how many trials (each costs about one timeout)
   */
  record Target(String backend, String host, int port, List<Contender> contenders, Duration timeout, int trials) {}

  /** Runs the targets side by side, each on a thread of its own. */
  static void run(Results res, List<Target> targets, Duration budget, long seed) throws Exception {
    ExecutorService ex = Executors.newCachedThreadPool(daemon("failover-target"));
    try {
      List<Future<Results>> fs = new ArrayList<>();
      long s = seed;
      for (Target t : targets) {
        long ts = s++;
        fs.add(ex.submit(() -> {
          Results r = new Results(false);
          run(r, t.contenders(), t.backend(), t.host(), t.port(), t.trials(), t.timeout(), budget, ts);
          return r;
        }));
      }
      for (Future<Results> f : fs) {
        f.get().rows().forEach(res::add);
      }
    } finally {
      ex.shutdownNow();
    }
  }

  /** Runs {@code trials} batches (or as many as the budget allows) and adds three rows per contender. */
  static void run(Results res, List<Contender> contenders, String backend, String host, int port, int trials,
      Duration timeout, Duration budget, long seed) throws Exception {
    Random rnd = new Random(seed);
    int n = contenders.size();
    List<List<Trial>> out = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<Session> successors = new ArrayList<>();
    for (Contender c : contenders) {
      out.add(new ArrayList<>());
      notes.add("");
      successors.add(c.session());
    }
    ExecutorService pool = Executors.newCachedThreadPool(daemon("failover"));
    ExecutorService cleanup = Executors.newCachedThreadPool(daemon("failover-cleanup"));
    Budget b = Budget.of(budget);
    try {
      for (int t = 0; t < trials && b.left(); t++) {
        List<Future<Trial>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          Contender c = contenders.get(i);
          Session succ = successors.get(i);
          // Somewhere in the renewal cycle (a third of the timeout for every contender here).
          long phase = 100 + rnd.nextInt((int) Math.max(700, timeout.toMillis() / 3));
          fs.add(pool.submit(() -> trial(c, succ, host, port, phase, timeout, cleanup)));
        }
        for (int i = 0; i < n; i++) {
          try {
            out.get(i).add(fs.get(i).get(WAIT.multipliedBy(2).plus(timeout).toMillis(), TimeUnit.MILLISECONDS));
          } catch (Exception e) {
            notes.set(i, "failed trial: " + rootCause(e));
            if (System.getProperty("bench.debug") != null) {
              e.printStackTrace();
            }
          }
        }
      }
    } finally {
      pool.shutdownNow();
      successors.forEach(Handoff::quietClose);
      cleanup.shutdown();
      cleanup.awaitTermination(10, TimeUnit.SECONDS);
    }
    for (int i = 0; i < n; i++) {
      Contender c = contenders.get(i);
      List<Trial> ts = out.get(i);
      String note = notes.get(i);
      if (ts.size() < trials && note.isEmpty()) {
        note = "budget reached after " + ts.size() + " of " + trials;
      }
      long[] failover = ts.stream().mapToLong(Trial::failover).toArray();
      res.add(crash(backend), c.name(), c.elector(), Unit.NANOS, failover,
          (note + " timeout " + timeout.toMillis() + " ms").trim());
      if (!c.hasValidity()) {
        res.add(stepDown(backend), c.name(), false, Unit.NANOS, new long[0],
            "n/a: no validity check; the cut leader believes it leads until told otherwise");
        continue;
      }
      long[] invalid = ts.stream().mapToLong(Trial::invalid).toArray();
      long[] margin = ts.stream().mapToLong(tr -> tr.failover() - tr.invalid()).toArray();
      res.add(stepDown(backend), c.name(), c.elector(), Unit.NANOS, invalid, note);
      long min = margin.length == 0 ? 0 : java.util.Arrays.stream(margin).min().getAsLong();
      res.add(margin(backend), c.name(), c.elector(), Unit.NANOS, margin,
          margin.length == 0 ? note : (String.format(java.util.Locale.ROOT, "min margin %.1f ms%s", min / 1e6,
              min > 0 ? " (positive in every trial)" : " (NOT positive in every trial)") + " " + note).trim());
    }
  }

  private static Trial trial(Contender c, Session succSession, String host, int port, long phaseMillis,
      Duration timeout, ExecutorService cleanup) throws Exception {
    String election = "failover-" + RUNS.incrementAndGet();
    LinkedBlockingQueue<Handoff.Event> events = new LinkedBlockingQueue<>();
    FaultProxy proxy = FaultProxy.start(host, port);
    Session leaderSession = null;
    Member succ = null;
    Member cut = null;
    try {
      leaderSession = c.session(proxy.endpoint());
      Member leader = leaderSession.join(election, "leader", (m, t) -> events.add(new Handoff.Event(m, t)));
      cut = leader;
      Handoff.nextOther(events, null);
      succ = succSession.join(election, "successor", (m, t) -> events.add(new Handoff.Event(m, t)));
      Handoff.awaitLine(c, election, 2);
      Thread.sleep(phaseMillis);
      if (!leader.leads()) {
        throw new IllegalStateException("leader lost its term before the cut");
      }
      long[] invalidAt = {-1};
      Thread poller = null;
      long t0 = System.nanoTime();
      proxy.partition();
      if (c.hasValidity()) {
        poller = new Thread(() -> {
          long end = System.nanoTime() + WAIT.plus(timeout).toNanos();
          while (leader.leads() && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(50_000);
          }
          invalidAt[0] = System.nanoTime();
        }, "validity-poller");
        poller.setDaemon(true);
        poller.start();
      }
      Handoff.Event e = Handoff.nextOther(events, leader, WAIT.plus(timeout));
      long invalid = -1;
      if (poller != null) {
        poller.join(WAIT.plus(timeout).toMillis());
        invalid = invalidAt[0] - t0;
      }
      return new Trial(e.nanos() - t0, invalid);
    } finally {
      Member s = succ;
      Member l = cut;
      Session ls = leaderSession;
      cleanup.execute(() -> {
        // The cut leader too: a recipe left running on a closed client can spin (Curator's LeaderSelector does).
        for (Member m : new Member[] {s, l}) {
          try {
            if (m != null) {
              m.close();
            }
          } catch (Exception ignored) {
            // Best effort: the election is not used again.
          }
        }
        if (ls != null) {
          Handoff.quietClose(ls);
        }
        proxy.close();
      });
    }
  }

  static String rootCause(Throwable e) {
    while (e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    return e.toString();
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
