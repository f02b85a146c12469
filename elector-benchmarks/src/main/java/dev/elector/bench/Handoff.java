package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Planned handoff: the leader closes (or resigns); the figure is the time from that call to the successor's
 * {@code elected} callback. Every candidate has a session of its own, as separate processes would.
 *
 * <p>All contenders of a backend run interleaved, one handoff at a time, round-robin over lanes (A1 B1 C1 A2 B2 C2
 * …, where a lane is one election of one contender with sessions of its own), so a burst of outside load lands on
 * every contender alike. A run is three repetitions, each with fresh sessions and elections and the contenders'
 * order rotated (ABC, BCA, CAB); each value is tagged with its repetition for the stratified bootstrap.
 *
 * <p>Steady: five candidates in line; before each handoff the lane has been quiet for {@link Pacer#QUIET} (its line
 * complete, nothing issued to it) and the harness has settled ({@link Pacer#SETTLE}): see {@link Pacer}. Churn: the
 * leader and one follower whose ticket has just appeared: a direct read shows it, then the leader acts after a
 * random age of 0–100 ms (seeded); each value carries that age, so the table can show latency against it.
 */
final class Handoff {
  enum Mode {
    CLOSE, RESIGN;

    String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final int STEADY_LINE = 5;
  /** The churn leader acts at a uniformly random age of its successor's ticket below this. */
  static final Duration CHURN_MAX_AGE = Duration.ofMillis(100);
  private static final Duration WAIT = Duration.ofSeconds(10);
  static final Duration WAIT_JOIN = Duration.ofSeconds(10);
  private static final AtomicInteger RUNS = new AtomicInteger();

  private Handoff() {}

  static String scenario(Mode mode, boolean churn, String backend) {
    return "handoff " + mode.word() + " " + (churn ? "churn" : "steady") + " · " + backend;
  }

  record Event(Member member, long nanos) {}

  /**
   * How much to measure.
   *
   * @param warmup unmeasured handoffs per lane at the start of each repetition
   * @param perRep measured handoffs per contender per repetition
   * @param reps repetitions
   * @param lanes lanes per backend, shared out over its contenders (at least one each)
   * @param budget the whole variant's time; a repetition gets its share of what is left
   * @param seed the churn ages' seed
   */
  record Plan(int warmup, int perRep, int reps, int lanes, Duration budget, long seed) {}

  /** Runs one variant for every contender of a backend, interleaved; one row per contender. */
  static List<Row> run(List<Contender> contenders, String backend, Mode mode, boolean churn, Plan plan) {
    String scenario = scenario(mode, churn, backend);
    int k = contenders.size();
    int lanesEach = Math.max(1, (plan.lanes() + k - 1) / k);
    List<List<long[]>> samples = new ArrayList<>();
    String[] notes = new String[k];
    for (int i = 0; i < k; i++) {
      samples.add(new ArrayList<>());
      notes[i] = "";
    }
    SplittableRandom ages = new SplittableRandom(plan.seed() ^ scenario.hashCode());
    Budget all = Budget.of(plan.budget());
    Pacer pacer = new Pacer();
    for (int rep = 0; rep < plan.reps() && all.left(); rep++) {
      List<Lane> lanes = new ArrayList<>();
      try {
        // Rotated order per repetition: no contender always goes first.
        for (int l = 0; l < lanesEach; l++) {
          for (int j = 0; j < k; j++) {
            int ci = (j + rep) % k;
            if (notes[ci].startsWith("failed")) {
              continue;
            }
            lanes.add(churn ? new ChurnLane(contenders.get(ci), ci, mode, ages)
                : new SteadyLane(contenders.get(ci), ci, mode));
          }
        }
        setUp(lanes, samples, notes);
        pacer.stepEnded();
        // Set-up is charged to the variant's budget; the handoffs of this repetition get their share of the rest.
        Budget b = Budget.of(all.remaining().dividedBy(plan.reps() - rep));
        int[] count = new int[k];
        int[] steps = new int[lanes.size()];
        boolean progress = true;
        while (progress && b.left()) {
          progress = false;
          for (int li = 0; li < lanes.size() && b.left(); li++) {
            Lane lane = lanes.get(li);
            boolean warm = steps[li] < plan.warmup();
            if (lane.dead || !warm && count[lane.ci] >= plan.perRep()) {
              continue;
            }
            progress = true;
            try {
              long[] s = lane.step(pacer);
              steps[li]++;
              if (!warm) {
                count[lane.ci]++;
                samples.get(lane.ci).add(new long[] {s[0], rep, s[1]});
              }
            } catch (Exception | AssertionError e) {
              notes[lane.ci] = failure(samples.get(lane.ci).size(), e);
              for (Lane other : lanes) {
                other.dead |= other.ci == lane.ci;
              }
            }
          }
        }
      } finally {
        lanes.forEach(Lane::close);
      }
    }
    List<Row> rows = new ArrayList<>();
    int want = plan.perRep() * plan.reps();
    for (int i = 0; i < k; i++) {
      List<long[]> s = samples.get(i);
      long[] v = s.stream().mapToLong(x -> x[0]).toArray();
      int[] reps = s.stream().mapToInt(x -> (int) x[1]).toArray();
      long[] a = churn ? s.stream().mapToLong(x -> x[2]).toArray() : null;
      String note = notes[i];
      if (note.isEmpty() && v.length < want) {
        note = "budget reached after " + v.length + " of " + want;
      }
      Contender c = contenders.get(i);
      rows.add(new Row(scenario, c.name(), c.elector(), Unit.NANOS, v, reps, a, note));
    }
    return rows;
  }

  /**
   * Sets the lanes up side by side (untimed: sessions, joins, the line complete); a lane that fails is dead and its
   * contender's note says why.
   */
  private static void setUp(List<Lane> lanes, List<List<long[]>> samples, String[] notes) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, Math.max(1, lanes.size())),
        Failover.daemon("lane-setup"));
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (Lane lane : lanes) {
        fs.add(pool.submit(() -> {
          lane.setUp();
          return null;
        }));
      }
      for (int i = 0; i < lanes.size(); i++) {
        Lane lane = lanes.get(i);
        try {
          fs.get(i).get(WAIT.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          notes[lane.ci] = failure(samples.get(lane.ci).size(), e instanceof ExecutionException ? e.getCause() : e);
          lane.dead = true;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String failure(int after, Throwable e) {
    if (System.getProperty("bench.debug") != null) {
      e.printStackTrace();
    }
    return "failed after " + after + ": " + Failover.rootCause(e);
  }

  /** One election of one contender, with sessions of its own. */
  private abstract static class Lane {
    final Contender c;
    final int ci;
    final Mode mode;
    final String election;
    final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Copy-on-write: a set-up that timed out may still be opening sessions while the lane is closed. */
    final List<Session> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();
    int seq;
    boolean dead;

    Lane(Contender c, int ci, Mode mode, String kind) {
      this.c = c.lane();
      this.ci = ci;
      this.mode = mode;
      this.election = "handoff-" + mode.word() + "-" + kind + "-" + RUNS.incrementAndGet();
    }

    Member join(int session) throws Exception {
      return sessions.get(session).join(election, "c" + seq++, (m, t) -> events.add(new Event(m, t)));
    }

    abstract void setUp() throws Exception;

    /** One measured handoff: {nanoseconds, ticket age or 0}. */
    abstract long[] step(Pacer pacer) throws Exception;

    void close() {
      sessions.forEach(Handoff::quietClose);
    }
  }

  /** Five candidates on five sessions; the line is complete and the lane quiet before every handoff. */
  private static final class SteadyLane extends Lane {
    private final Member[] slot = new Member[STEADY_LINE];
    private Member leader;
    private int leaderSlot;
    private long quietSince;

    SteadyLane(Contender c, int ci, Mode mode) {
      super(c, ci, mode, "steady");
    }

    @Override
    void setUp() throws Exception {
      for (int i = 0; i < STEADY_LINE; i++) {
        sessions.add(c.session());
      }
      slot[0] = join(0);
      leader = nextOther(events, null).member();
      for (int i = 1; i < STEADY_LINE; i++) {
        slot[i] = join(i);
        awaitLine(c, election, i + 1);
      }
      quietSince = System.nanoTime();
    }

    @Override
    long[] step(Pacer pacer) throws Exception {
      pacer.await(quietSince, Pacer.QUIET);
      long t0 = System.nanoTime();
      if (mode == Mode.CLOSE) {
        leader.close();
      } else {
        leader.resign();
      }
      Event e = nextOther(events, leader);
      long nanos = e.nanos() - t0;
      int newSlot = indexOf(slot, e.member());
      if (mode == Mode.CLOSE) {
        // The closed leader's session takes a newcomer at the back of the line.
        slot[leaderSlot] = join(leaderSlot);
      }
      leader = e.member();
      leaderSlot = newSlot;
      awaitLine(c, election, STEADY_LINE);
      quietSince = System.nanoTime();
      pacer.stepEnded();
      return new long[] {nanos, 0};
    }
  }

  /**
   * The leader and, per handoff, a follower that joins just before it: the leader acts a random 0–100 ms after a
   * direct read first shows the follower's ticket. A resigned leader, back in line, is closed before the next
   * handoff, so every handoff starts from a leader alone in line.
   */
  private static final class ChurnLane extends Lane {
    private final SplittableRandom ages;
    private Member leader;
    private int leaderSession;

    ChurnLane(Contender c, int ci, Mode mode, SplittableRandom ages) {
      super(c, ci, mode, "churn");
      this.ages = ages;
    }

    @Override
    void setUp() throws Exception {
      sessions.add(c.session());
      sessions.add(c.session());
      join(0);
      leader = nextOther(events, null).member();
      leaderSession = 0;
    }

    @Override
    long[] step(Pacer pacer) throws Exception {
      long age = ages.nextLong(CHURN_MAX_AGE.toNanos());
      pacer.awaitSettle();
      int free = 1 - leaderSession;
      Member follower = join(free);
      awaitLine(c, election, 2);
      long seen = System.nanoTime();
      Pacer.sleepUntil(seen + age);
      long t0 = System.nanoTime();
      if (mode == Mode.CLOSE) {
        leader.close();
      } else {
        leader.resign();
      }
      Event e = nextOther(events, leader);
      long nanos = e.nanos() - t0;
      if (e.member() != follower) {
        throw new IllegalStateException("elected " + e.member().id() + ", not the follower " + follower.id());
      }
      if (mode == Mode.RESIGN) {
        // Back in line behind the new leader: closed, so the next handoff again starts from a leader alone.
        leader.close();
      }
      awaitLineSettled(c, election, 1);
      leader = follower;
      leaderSession = free;
      pacer.stepEnded();
      return new long[] {nanos, t0 - seen};
    }
  }

  private static int indexOf(Member[] slot, Member m) {
    for (int i = 0; i < slot.length; i++) {
      if (slot[i] == m) {
        return i;
      }
    }
    throw new IllegalStateException("elected candidate " + m.id() + " is not one of this lane's");
  }

  static void awaitLine(Contender c, String election, int size) throws Exception {
    if (!Budget.await(WAIT, () -> c.lineSize(election) == size)) {
      throw new IllegalStateException(
          "line of " + election + " did not reach " + size + " within " + WAIT + " (is " + c.lineSize(election) + ")");
    }
  }

  /**
   * Waits until reads at least 10 ms apart agree that the line has {@code size} tickets: a closed candidate's ticket
   * that was still being created shows up and goes again just after a single read.
   */
  static void awaitLineSettled(Contender c, String election, int size) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() - end < 0) {
      awaitLine(c, election, size);
      Thread.sleep(10);
      if (c.lineSize(election) == size) {
        return;
      }
    }
    throw new IllegalStateException("line of " + election + " did not settle at " + size + " within " + WAIT);
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
