package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scale: many candidates in one election over a few sessions, and many elections on one session. Each phase has a
 * time cap; a contender that does not finish within it gets a row saying how far it got.
 *
 * <p>Every phase (each shape, each contender) runs after the shared servers are stopped, on a server of its own,
 * started for it and stopped after it: a ZooKeeper server in a JVM of its own ({@link ZkProcess}, warmed up first),
 * or a new etcd process with an empty data dir. A phase leaves thousands of nodes or keys, sessions still closing
 * and, when capped, queued line reads behind it; on a shared server those slowed the next contender (10,000
 * elections on one session elect in about 5 s on a quiet server and did not elect at all after earlier phases).
 *
 * <p>Heap per candidate is the used heap after full collections, before joining and once the join's aftermath has
 * drained, divided by the number of candidates. Both servers run in processes of their own (ZooKeeper as a
 * {@link ZkProcess}), so the figure is the client's alone. Right after the last join the client still holds the
 * replies of reads in flight (each ZooKeeper candidate lists the whole line: about 1,000 names per candidate at
 * 1,000), which are garbage a moment later; the figure is taken once the heap has stopped shrinking, and the reading
 * at the join is in the note.
 */
final class Scale {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final int SESSIONS = 10;
  /** Rounds of 2,000 creates, 500 line reads, 2,000 watched reads and deletes on each new ZooKeeper server. */
  private static volatile int warmUpRounds = 3;

  private Scale() {}

  /** Runs every shape for every contender that has one, each on fresh servers, within what is left of the run. */
  static void runAll(Results res, Options o, Budget run) throws Exception {
    int n = o.pick(10_000, 1_000, 100);
    int leaders = o.pick(1_000, 100, 10);
    // Quick mode skips the many-elections shape: its servers and collections cost more than a minute allows.
    boolean many = o.mode() != Options.Mode.QUICK;
    int phases = many ? 6 : 3;
    // A phase is a join (cap), a settling heap (at least 6 s, at most cap) and, in one election, a rolling handoff
    // (cap), plus about 5 s of a server starting, warming up and stopping and sessions closing: at most 2.5 caps
    // and 5 s on average over the phases, so the caps below keep the group within its budget.
    Duration cap = clamp(run.remaining().minus(Duration.ofSeconds(5L * phases)).multipliedBy(2)
        .dividedBy(phases * 5L), Duration.ofSeconds(o.pick(8, 4, 10)), Duration.ofSeconds(o.pick(25, 5, 10)));
    // Smoke's caps are loose on purpose: it checks that every phase completes, and at 100 candidates a phase ends
    // long before its cap on a quiet machine, while a shared one (load 25 on 2 cores) needed more than 4 s to elect.
    // At least 6 s: at quick sizes the cap is short, and a heap read while line reads are in flight says little.
    Duration settle = clamp(cap.dividedBy(2), Duration.ofSeconds(o.pick(6, 6, 2)), cap);
    warmUpRounds = Integer.getInteger("bench.zkWarmUpRounds", o.pick(3, 2, 1));
    System.out.println("cap per scale phase " + cap.toSeconds() + " s; each contender on a new server process");

    for (Spec spec : zkSpecs()) {
      onZk(res, spec, joinOne(n, SESSIONS, "ZooKeeper"), (c, idle) ->
          oneElection(res, c, "ZooKeeper", n, SESSIONS, leaders, cap, settle, idle));
    }
    onEtcd(res, electorEtcd(), joinOne(n, SESSIONS, "etcd"), (c, idle) ->
        oneElection(res, c, "etcd", n, SESSIONS, leaders, cap, settle, idle));
    if (many) {
      for (Spec spec : zkSpecs()) {
        onZk(res, spec, joinMany(n, "ZooKeeper"), (c, idle) ->
            manyElections(res, c, "ZooKeeper", n, cap, settle, idle));
      }
      onEtcd(res, electorEtcd(), joinMany(n, "etcd"), (c, idle) ->
          manyElections(res, c, "etcd", n, cap, settle, idle));
    }
  }

  private static Duration clamp(Duration d, Duration lo, Duration hi) {
    return d.compareTo(lo) < 0 ? lo : d.compareTo(hi) > 0 ? hi : d;
  }

  /** A contender to be created on a fresh server's endpoint. */
  record Spec(String name, boolean elector, Factory factory) {}

  @FunctionalInterface
  interface Factory {
    Contender create(String endpoint) throws Exception;
  }

  /** One phase: the contender and a wait for its server to go idle (a no-op where the server is out of reach). */
  @FunctionalInterface
  interface Phase {
    void run(Contender c, Idle idle) throws Exception;
  }

  /** Waits, at most {@code max}, until the server has no request outstanding. */
  @FunctionalInterface
  interface Idle {
    void await(Duration max) throws InterruptedException;
  }

  private static List<Spec> zkSpecs() {
    return List.of(
        new Spec("Elector", true, ep -> new ElectorContender("Elector", "zookeeper", ep, BenchMain.SESSION,
            Lineup.zkLines(ep))),
        new Spec("Curator LeaderLatch", false, ep -> new LatchContender(ep, BenchMain.SESSION)));
  }

  private static Spec electorEtcd() {
    return new Spec("Elector", true, ep -> new ElectorContender("Elector", "etcd", ep, BenchMain.SESSION,
        Lineup.etcdLines(ep)));
  }

  /** Runs a phase on a new ZooKeeper server process, stopped (and its data deleted) after. */
  private static void onZk(Results res, Spec spec, String scenario, Phase phase) {
    try (ZkProcess server = new ZkProcess(Duration.ofSeconds(60))) {
      long w0 = System.nanoTime();
      server.warmUp(warmUpRounds, 2_000);
      System.out.printf(Locale.ROOT, "  (new ZooKeeper server process for %s, warmed up in %.1f s)%n", spec.name(),
          (System.nanoTime() - w0) / 1e9);
      runOn(res, spec, scenario, server.endpoint(), server::awaitIdle, phase);
    } catch (Exception e) {
      res.add(scenario, spec.name(), spec.elector(), Unit.NANOS, new long[0],
          "failed: ZooKeeper server: " + Failover.rootCause(e));
    }
  }

  /** Runs a phase on a new etcd process with an empty data dir, stopped (and the dir deleted) after. */
  private static void onEtcd(Results res, Spec spec, String scenario, Phase phase) {
    try (EtcdServer server = new EtcdServer(Duration.ofSeconds(30))) {
      runOn(res, spec, scenario, server.endpoint(), max -> { }, phase);
    } catch (RuntimeException e) {
      res.add(scenario, spec.name(), spec.elector(), Unit.NANOS, new long[0],
          "failed: etcd: " + Failover.rootCause(e));
    }
  }

  private static void runOn(Results res, Spec spec, String scenario, String endpoint, Idle idle, Phase phase) {
    Contender c;
    try {
      c = spec.factory().create(endpoint);
    } catch (Exception | LinkageError e) {
      res.add(scenario, spec.name(), spec.elector(), Unit.NANOS, new long[0], "failed: " + Failover.rootCause(e));
      return;
    }
    try {
      phase.run(c, idle);
    } catch (Exception e) {
      res.add(scenario, spec.name(), spec.elector(), Unit.NANOS, new long[0], "failed: " + Failover.rootCause(e));
    } finally {
      c.close();
    }
  }

  static String joinOne(int n, int sessions, String backend) {
    return String.format(Locale.ROOT, "scale: join %,d candidates, 1 election, %d sessions · %s", n, sessions,
        backend);
  }

  static String heapOne(int n, String backend) {
    return String.format(Locale.ROOT, "scale: client heap per candidate (%,d in 1 election) · %s", n, backend);
  }

  static String rolling(int n, int leaders, String backend) {
    return String.format(Locale.ROOT, "scale: rolling handoff through %,d leaders of %,d (total) · %s", leaders, n,
        backend);
  }

  static String rollingEach(int n, String backend) {
    return String.format(Locale.ROOT, "scale: each handoff at %,d candidates · %s", n, backend);
  }

  static String joinMany(int n, String backend) {
    return String.format(Locale.ROOT, "scale: %,d elections on 1 session, all elected · %s", n, backend);
  }

  static String heapMany(int n, String backend) {
    return String.format(Locale.ROOT, "scale: client heap per candidate (%,d elections) · %s", n, backend);
  }

  /**
   * The heap in use once it has stopped shrinking: a client closed just before frees memory for a while after
   * {@code close()} returns.
   */
  static long settledHeap() throws InterruptedException {
    long prev = usedHeap();
    for (int i = 0; i < 8; i++) {
      Thread.sleep(300);
      long now = usedHeap();
      if (Math.abs(now - prev) < 512 * 1024) {
        return Math.min(now, prev);
      }
      prev = now;
    }
    return prev;
  }

  /**
   * The heap in use after full collections: the lowest of several readings, so garbage that background threads
   * (a closing client, a reconnecting one) make between collections does not count.
   */
  static long usedHeap() throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(120);
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  /**
   * The used heap at the end of a join and once it has settled.
   *
   * @param atJoin right after the join (still holding replies of reads in flight)
   * @param settled once two readings in a row agree, or the last reading if the heap never settled
   * @param seconds how long settling took
   * @param stable whether two readings agreed before the deadline
   */
  record Heap(long atJoin, long settled, double seconds, boolean stable) {
    /** The note: when the heap settled, and the reading at the join, per candidate above {@code base}. */
    String note(long base, int n) {
      return String.format(Locale.ROOT, "%s %.0f s after the join (%d B at the join); client only, server in its own"
          + " process", stable ? "settled" : "still changing", seconds, (atJoin - base) / n);
    }
  }

  /**
   * Waits for the server to go idle and the heap to stop shrinking (two readings 0.5 s apart within 1% of the
   * growth, or 128 KiB), at most {@code max}.
   */
  static Heap settleAfterJoin(long base, Duration max, Idle idle) throws InterruptedException {
    long t0 = System.nanoTime();
    long end = t0 + max.toNanos();
    long atJoin = usedHeap();
    idle.await(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
    long prev = usedHeap();
    while (System.nanoTime() - end < 0) {
      Thread.sleep(500);
      long now = usedHeap();
      if (Math.abs(now - prev) <= Math.max(128 * 1024, Math.abs(now - base) / 100)) {
        return new Heap(atJoin, Math.min(now, prev), (System.nanoTime() - t0) / 1e9, true);
      }
      prev = now;
    }
    return new Heap(atJoin, prev, (System.nanoTime() - t0) / 1e9, false);
  }


  /** {@code n} candidates in one election over {@code sessionsN} sessions; then {@code leaders} handoffs. */
  static void oneElection(Results res, Contender c, String backend, int n, int sessionsN, int leaders, Duration cap,
      Duration settle, Idle idle) {
    String election = "scale-one-" + RUNS.incrementAndGet();
    LinkedBlockingQueue<Handoff.Event> events = new LinkedBlockingQueue<>();
    List<Session> sessions = new ArrayList<>();
    List<Member> members = new ArrayList<>(n);
    String joinNote = "";
    // The row a failure is reported in: the join's until it has its own row, then the next one's.
    String failedAt = joinOne(n, sessionsN, backend);
    try {
      for (int i = 0; i < sessionsN; i++) {
        sessions.add(c.session());
      }
      long heap0 = settledHeap();
      var histo0 = histogram();
      Budget b = Budget.of(cap);
      long t0 = System.nanoTime();
      for (int i = 0; i < n && b.left(); i++) {
        members.add(sessions.get(i % sessionsN).join(election, "s" + i, (m, t) -> events.add(new Handoff.Event(m, t))));
      }
      int joined = awaitJoined(members, b);
      long joinNanos = System.nanoTime() - t0;
      if (joined < n) {
        joinNote = String.format(Locale.ROOT, "cap: %,d of %,d joined in %d s", joined, n, cap.toSeconds());
        res.add(joinOne(n, sessionsN, backend), c.name(), c.elector(), Unit.NANOS, new long[0], joinNote);
        res.add(heapOne(n, backend), c.name(), c.elector(), Unit.BYTES, new long[0], joinNote);
        res.add(rolling(n, leaders, backend), c.name(), c.elector(), Unit.NANOS, new long[0], joinNote);
        return;
      }
      Handoff.Event first = events.poll(Math.max(1, b.remaining().toMillis()), TimeUnit.MILLISECONDS);
      if (first == null) {
        joinNote = String.format(Locale.ROOT, "cap: all %,d joined in %.1f s, but no leader within %d s", n,
            joinNanos / 1e9, cap.toSeconds());
        res.add(joinOne(n, sessionsN, backend), c.name(), c.elector(), Unit.NANOS, new long[0], joinNote);
        return;
      }
      res.add(joinOne(n, sessionsN, backend), c.name(), c.elector(), Unit.NANOS, new long[] {joinNanos}, "");
      failedAt = heapOne(n, backend);
      Heap heap = settleAfterJoin(heap0, settle, idle);
      printGrowth(c.name() + " on " + backend + ", " + n + " in one election", histo0, histogram(), n);
      pauseForHeapDump(c.name() + " " + backend);
      res.add(heapOne(n, backend), c.name(), c.elector(), Unit.BYTES,
          new long[] {Math.max(0, (heap.settled() - heap0) / n)}, heap.note(heap0, n));
      failedAt = rolling(n, leaders, backend);
      Member leader = first.member();
      LongList each = new LongList();
      Budget rb = Budget.of(cap);
      long r0 = System.nanoTime();
      String stopped = null;
      for (int h = 0; h < leaders && rb.left(); h++) {
        long t = System.nanoTime();
        leader.close();
        Handoff.Event e;
        try {
          e = Handoff.nextOther(events, leader, rb.remaining().plusSeconds(1));
        } catch (IllegalStateException noSuccessor) {
          stopped = String.format(Locale.ROOT, "stopped after %d of %d handoffs: no successor within %d s",
              each.size(), leaders, cap.toSeconds());
          break;
        }
        each.add(e.nanos() - t);
        leader = e.member();
      }
      long total = System.nanoTime() - r0;
      String note = stopped != null ? stopped : each.size() < leaders
          ? String.format(Locale.ROOT, "cap: %d of %d handoffs in %d s", each.size(), leaders, cap.toSeconds()) : "";
      res.add(rolling(n, leaders, backend), c.name(), c.elector(), Unit.NANOS,
          each.size() < leaders ? new long[0] : new long[] {total}, note);
      res.add(rollingEach(n, backend), c.name(), c.elector(), Unit.NANOS, each.toArray(), note);
    } catch (Exception e) {
      res.add(failedAt, c.name(), c.elector(), failedAt.equals(heapOne(n, backend)) ? Unit.BYTES : Unit.NANOS,
          new long[0], "failed: " + Failover.rootCause(e));
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      closeAll(sessions);
    }
  }

  /** {@code n} elections with one candidate each, all on one session. */
  static void manyElections(Results res, Contender c, String backend, int n, Duration cap, Duration settle,
      Idle idle) {
    String prefix = "scale-many-" + RUNS.incrementAndGet() + "-";
    AtomicInteger elected = new AtomicInteger();
    Session session = null;
    boolean joinReported = false;
    try {
      session = c.session();
      List<Member> members = new ArrayList<>(n);
      long heap0 = settledHeap();
      var histo0 = histogram();
      Budget b = Budget.of(cap);
      long t0 = System.nanoTime();
      for (int i = 0; i < n && b.left(); i++) {
        members.add(session.join(prefix + i, "m" + i, (m, t) -> elected.incrementAndGet()));
      }
      Budget.await(b.remaining(), () -> elected.get() >= n);
      long nanos = System.nanoTime() - t0;
      if (elected.get() < n) {
        String note = String.format(Locale.ROOT, "cap: %,d of %,d elected in %d s", elected.get(), n,
            cap.toSeconds());
        res.add(joinMany(n, backend), c.name(), c.elector(), Unit.NANOS, new long[0], note);
        res.add(heapMany(n, backend), c.name(), c.elector(), Unit.BYTES, new long[0], note);
        return;
      }
      res.add(joinMany(n, backend), c.name(), c.elector(), Unit.NANOS, new long[] {nanos}, "");
      joinReported = true;
      Heap heap = settleAfterJoin(heap0, settle, idle);
      printGrowth(c.name() + " on " + backend + ", " + n + " elections", histo0, histogram(), n);
      res.add(heapMany(n, backend), c.name(), c.elector(), Unit.BYTES,
          new long[] {Math.max(0, (heap.settled() - heap0) / n)}, heap.note(heap0, n));
    } catch (Exception e) {
      res.add(joinReported ? heapMany(n, backend) : joinMany(n, backend), c.name(), c.elector(),
          joinReported ? Unit.BYTES : Unit.NANOS, new long[0], "failed: " + Failover.rootCause(e));
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      if (session != null) {
        Handoff.quietClose(session);
      }
    }
  }

  /**
   * With -Dbench.heapHistogram=true, the live objects by class (a class histogram, which collects first), so a
   * phase can print where its heap per candidate goes; null otherwise.
   */
  static java.util.Map<String, long[]> histogram() {
    if (!Boolean.getBoolean("bench.heapHistogram")) {
      return null;
    }
    try {
      String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
      java.util.Map<String, long[]> m = new java.util.HashMap<>();
      for (String line : text.split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 4 && f[0].endsWith(":")) {
          m.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
      }
      return m;
    } catch (Exception e) {
      System.err.println("no class histogram: " + e);
      return null;
    }
  }

  /** Prints the classes that grew most between two histograms, per candidate. */
  static void printGrowth(String what, java.util.Map<String, long[]> before, java.util.Map<String, long[]> after,
      int n) {
    if (before == null || after == null) {
      return;
    }
    List<java.util.Map.Entry<String, long[]>> grown = new ArrayList<>();
    long total = 0;
    for (var e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long[] d = {e.getValue()[0] - b[0], e.getValue()[1] - b[1]};
      total += d[1];
      grown.add(java.util.Map.entry(e.getKey(), d));
    }
    for (var e : before.entrySet()) {
      if (!after.containsKey(e.getKey())) {
        total -= e.getValue()[1];
      }
    }
    grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    System.out.printf(Locale.ROOT, "  heap growth by class, %s: %.0f B per candidate in all%n", what,
        (double) total / n);
    for (int i = 0; i < Math.min(25, grown.size()); i++) {
      var e = grown.get(i);
      System.out.printf(Locale.ROOT, "    %8.1f B %6.2f objects  %s%n", (double) e.getValue()[1] / n,
          (double) e.getValue()[0] / n, e.getKey());
    }
  }

  /** With -Dbench.pauseAfterJoin=SECONDS, waits after joining so a heap histogram can be taken (jmap). */
  private static void pauseForHeapDump(String what) throws InterruptedException {
    long secs = Long.getLong("bench.pauseAfterJoin", 0);
    if (secs > 0) {
      System.out.println("pausing " + secs + " s after joining (" + what + ") for a heap histogram");
      Thread.sleep(secs * 1000);
    }
  }

  /** How many of the members have joined, once all have or the budget is spent. */
  private static int awaitJoined(List<Member> members, Budget b) throws InterruptedException {
    int from = 0;
    while (true) {
      while (from < members.size() && members.get(from).joined()) {
        from++;
      }
      if (from == members.size()) {
        return from;
      }
      if (!b.left()) {
        int n = from;
        for (int i = from; i < members.size(); i++) {
          n += members.get(i).joined() ? 1 : 0;
        }
        return n;
      }
      Thread.sleep(5);
    }
  }

  /** Closes sessions side by side: a client closing with thousands of tickets may wait its operation timeout. */
  static void closeAll(List<Session> sessions) {
    List<Thread> closers = new ArrayList<>();
    for (Session s : sessions) {
      Thread t = new Thread(() -> Handoff.quietClose(s), "session-closer");
      t.setDaemon(true);
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
