package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * Scale: many candidates in one election over a few sessions, and many elections on one session. Each phase has a
 * time cap; a contender that does not finish within it gets a row saying how far it got.
 *
 * <p>Heap per candidate is the used heap after full collections, before and after joining, divided by the number of
 * candidates. The ZooKeeper server runs in this JVM, so for ZooKeeper contenders the server's own cost of the same
 * number of znodes (measured with a raw client creating them) is subtracted; etcd runs in its own process, so its
 * figures are the client's alone.
 */
final class Scale {
  private static final AtomicInteger RUNS = new AtomicInteger();
  /** Waits until the servers have finished the previous phase's work; set by the runner. */
  static volatile Runnable quiesce = () -> {};

  private Scale() {}

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

  /** Bytes the in-process server itself holds per znode of the given shape, to subtract from client figures. */
  static long serverBytesPerNode(String endpoint, int n, boolean separateParents) throws Exception {
    ZooKeeper zk = Floors.zk(endpoint);
    try {
      String base = "/scale-baseline-" + RUNS.incrementAndGet();
      zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      Semaphore inFlight = new Semaphore(1_000);
      if (separateParents) {
        CountDownLatch parents = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
          inFlight.acquire();
          zk.create(base + "/e" + i, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
              (rc, path, ctx, name) -> {
                inFlight.release();
                parents.countDown();
              }, null);
        }
        if (!parents.await(120, TimeUnit.SECONDS)) {
          throw new IllegalStateException("baseline parents were not created");
        }
      }
      long before = settledHeap();
      CountDownLatch done = new CountDownLatch(n);
      byte[] data = "candidate-0000".getBytes();
      for (int i = 0; i < n; i++) {
        String parent = separateParents ? base + "/e" + i : base;
        inFlight.acquire();
        // Name and data about the size the recipes use: a uuid, a marker and a sequence number; the candidate id.
        zk.create(parent + "/0f6e2a3c-5b7d-4e1f-9a8b-7c6d5e4f3a2b-n_", data, ZooDefs.Ids.OPEN_ACL_UNSAFE,
            CreateMode.EPHEMERAL_SEQUENTIAL, (rc, path, ctx, name) -> {
              inFlight.release();
              done.countDown();
            }, null);
      }
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("baseline creates did not finish");
      }
      long after = usedHeap();
      return Math.max(0, (after - before) / n);
    } finally {
      zk.close();
    }
  }

  /**
   * The heap in use once it has stopped shrinking: a client closed just before, or the in-process server dropping
   * the closed sessions' znodes, frees memory for a while after {@code close()} returns.
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
   * (a closing client, a server flushing its log) make between collections does not count.
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

  /** {@code n} candidates in one election over {@code sessionsN} sessions; then {@code leaders} handoffs. */
  static void oneElection(Results res, Contender c, String backend, int n, int sessionsN, int leaders, Duration cap,
      long serverBytes) {
    String election = "scale-one-" + RUNS.incrementAndGet();
    LinkedBlockingQueue<Handoff.Event> events = new LinkedBlockingQueue<>();
    List<Session> sessions = new ArrayList<>();
    List<Member> members = new ArrayList<>(n);
    String joinNote = "";
    try {
      for (int i = 0; i < sessionsN; i++) {
        sessions.add(c.session());
      }
      quiesce.run();
      long heap0 = settledHeap();
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
      long heap1 = usedHeap();
      long gross = (heap1 - heap0) / n;
      pauseForHeapDump(c.name() + " " + backend);
      res.add(heapOne(n, backend), c.name(), c.elector(), Unit.BYTES, new long[] {Math.max(0, gross - serverBytes)},
          serverBytes > 0 ? String.format(Locale.ROOT, "%d gross less %d the in-process server holds per znode",
              gross, serverBytes) : "etcd is out of process: client only");
      Member leader = first.member();
      LongList each = new LongList();
      Budget rb = Budget.of(cap);
      long r0 = System.nanoTime();
      for (int h = 0; h < leaders && rb.left(); h++) {
        long t = System.nanoTime();
        leader.close();
        Handoff.Event e = Handoff.nextOther(events, leader);
        each.add(e.nanos() - t);
        leader = e.member();
      }
      long total = System.nanoTime() - r0;
      String note = each.size() < leaders
          ? String.format(Locale.ROOT, "cap: %d of %d handoffs in %d s", each.size(), leaders, cap.toSeconds()) : "";
      res.add(rolling(n, leaders, backend), c.name(), c.elector(), Unit.NANOS,
          each.size() < leaders ? new long[0] : new long[] {total}, note);
      res.add(rollingEach(n, backend), c.name(), c.elector(), Unit.NANOS, each.toArray(), note);
    } catch (Exception e) {
      res.add(joinOne(n, sessionsN, backend), c.name(), c.elector(), Unit.NANOS, new long[0],
          "failed: " + Failover.rootCause(e));
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      closeAll(sessions);
    }
  }

  /** {@code n} elections with one candidate each, all on one session. */
  static void manyElections(Results res, Contender c, String backend, int n, Duration cap, long serverBytes) {
    String prefix = "scale-many-" + RUNS.incrementAndGet() + "-";
    AtomicInteger elected = new AtomicInteger();
    Session session = null;
    try {
      session = c.session();
      List<Member> members = new ArrayList<>(n);
      quiesce.run();
      long heap0 = settledHeap();
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
      long gross = (usedHeap() - heap0) / n;
      res.add(heapMany(n, backend), c.name(), c.elector(), Unit.BYTES, new long[] {Math.max(0, gross - serverBytes)},
          serverBytes > 0 ? String.format(Locale.ROOT, "%d gross less %d the in-process server holds per znode",
              gross, serverBytes) : "etcd is out of process: client only");
    } catch (Exception e) {
      res.add(joinMany(n, backend), c.name(), c.elector(), Unit.NANOS, new long[0], "failed: " + Failover.rootCause(e));
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      if (session != null) {
        Handoff.quietClose(session);
      }
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
