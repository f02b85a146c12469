package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.testservers.InProcessZooKeeper;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.management.ObjectName;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's scale shapes through the public API, measured and printed, never asserted as timings: many candidates
 * in one election over ten sessions (join, first leader, a rolling handoff through many leaders, client heap per
 * candidate), and many elections with one candidate each on one session. The server runs in this JVM (see
 * {@link InProcessZooKeeper}); its own heap per znode is measured with a raw client and subtracted. Run with
 * {@code ./mvnw -o -pl elector-zookeeper verify -Dtest=ZkScaleMeasurementTest -Pmeasure}; sizes with
 * {@code -Delector.measure.candidates=}, {@code .handoffs=}, {@code .elections=}, and the cap per phase with
 * {@code .capSeconds=}. {@code -Delector.measure.histogram=true} prints the heap's class histogram after joining.
 * {@code -Delector.measure.serverProcess=true} runs the same server in a child JVM instead, so this JVM's heap is
 * the client's alone (server-side watches, which the raw-client baseline does not have, then cannot count).
 */
@Tag("measurement")
class ZkScaleMeasurementTest {
  private static final int CANDIDATES = Integer.getInteger("elector.measure.candidates", 10_000);
  private static final int SESSIONS = 10;
  private static final int HANDOFFS = Integer.getInteger("elector.measure.handoffs", 1_000);
  private static final int ELECTIONS = Integer.getInteger("elector.measure.elections", 10_000);
  private static final Duration CAP = Duration.ofSeconds(Long.getLong("elector.measure.capSeconds", 60));
  private static final java.util.concurrent.atomic.AtomicInteger BASELINES =
      new java.util.concurrent.atomic.AtomicInteger();
  private static final boolean SERVER_PROCESS = Boolean.getBoolean("elector.measure.serverProcess");
  private static InProcessZooKeeper server;
  private static Process serverProcess;
  private static Path serverDir;
  private static String endpoint;

  @BeforeAll
  static void startServer() throws Exception {
    if (SERVER_PROCESS) {
      startServerProcess();
    } else {
      server = InProcessZooKeeper.start();
      endpoint = server.endpoint();
    }
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
    if (serverProcess != null) {
      serverProcess.destroy();
      if (!serverProcess.waitFor(10, TimeUnit.SECONDS)) {
        serverProcess.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (serverDir != null) {
      try (Stream<Path> files = Files.walk(serverDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** The test server's settings (no fsync, loopback only) in a child JVM on the test class path. */
  private static void startServerProcess() throws Exception {
    serverDir = Files.createTempDirectory("elector-zk-process-");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Path cfg = serverDir.resolve("zoo.cfg");
    Files.writeString(cfg, String.join("\n", "tickTime=500", "dataDir=" + serverDir.resolve("data"),
        "clientPort=" + port, "clientPortAddress=127.0.0.1", "maxClientCnxns=1000", "admin.enableServer=false",
        "4lw.commands.whitelist=srvr", ""));
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    serverProcess = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Dzookeeper.forceSync=no", "-cp", classPath, "org.apache.zookeeper.server.ZooKeeperServerMain",
        cfg.toString()).redirectErrorStream(true).redirectOutput(serverDir.resolve("server.log").toFile()).start();
    endpoint = "127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (java.io.IOException e) {
        if (System.nanoTime() - deadline > 0 || !serverProcess.isAlive()) {
          throw new IllegalStateException("the ZooKeeper server process did not listen on " + endpoint, e);
        }
        Thread.sleep(50);
      }
    }
  }

  private record Elected(int index, Leadership term, long nanos) {}

  @Test
  void manyCandidatesInOneElectionOverTenSessions() throws Exception {
    // Out of process the server's heap is not ours to subtract.
    long serverPerNode = SERVER_PROCESS ? 0 : serverBytesPerZnode(CANDIDATES);
    String uri = "zookeeper://" + endpoint + "/scale-one?sessionTimeout=10s";
    List<ElectionClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < SESSIONS; i++) {
        clients.add(Elections.connect(uri));
      }
      LinkedBlockingQueue<Elected> elected = new LinkedBlockingQueue<>();
      Candidate[] candidates = new Candidate[CANDIDATES];
      long heap0 = usedHeap();
      long t0 = System.nanoTime();
      for (int i = 0; i < CANDIDATES; i++) {
        int k = i;
        candidates[i] = clients.get(i % SESSIONS).election("scale").candidate("c" + i)
            .listener(Runnable::run, new LeadershipListener() {
              @Override
              public void elected(Leadership term) {
                elected.add(new Elected(k, term, System.nanoTime()));
              }

              @Override
              public void revoked(Leadership term, EndReason reason) {}
            }).join();
      }
      long deadline = t0 + CAP.toNanos();
      int joined = 0;
      while (System.nanoTime() - deadline < 0) {
        joined = (int) Arrays.stream(candidates).filter(c -> c.state() == CandidateState.WAITING
            || c.state() == CandidateState.LEADING).count();
        if (joined == CANDIDATES) {
          break;
        }
        Thread.sleep(20);
      }
      long joinNanos = System.nanoTime() - t0;
      if (joined < CANDIDATES) {
        System.out.printf(Locale.ROOT, "MEASURE one election: only %,d of %,d candidates joined within %d s%n", joined,
            CANDIDATES, CAP.toSeconds());
      } else {
        System.out.printf(Locale.ROOT, "MEASURE one election: %,d candidates over %d sessions joined in %.2f s%n",
            CANDIDATES, SESSIONS, joinNanos / 1e9);
      }
      Elected first = elected.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      assertThat(first).as("a leader within %s", CAP).isNotNull();
      System.out.printf(Locale.ROOT, "MEASURE one election: first leader %.2f s after the first join%n",
          (first.nanos() - t0) / 1e9);
      assertThat(joined).as("candidates joined within %s", CAP).isEqualTo(CANDIDATES);

      long heap1 = usedHeap();
      long gross = (heap1 - heap0) / CANDIDATES;
      if (SERVER_PROCESS) {
        System.out.printf(Locale.ROOT, "MEASURE one election: heap per candidate %,d bytes (client only: the server "
            + "runs in its own process)%n", gross);
      } else {
        System.out.printf(Locale.ROOT, "MEASURE one election: heap per candidate %,d bytes gross, %,d less the %,d "
            + "the in-process server holds per znode (its watches not subtracted)%n", gross, gross - serverPerNode,
            serverPerNode);
      }
      histogram("after joining " + CANDIDATES + " candidates in one election");

      Elected leader = first;
      long[] each = new long[HANDOFFS];
      long r0 = System.nanoTime();
      int done = 0;
      for (; done < HANDOFFS && done < CANDIDATES - 1; done++) {
        long t = System.nanoTime();
        candidates[leader.index()].close();
        Elected next = elected.poll(30, TimeUnit.SECONDS);
        assertThat(next).as("handoff %d elected a successor within 30 s", done).isNotNull();
        assertThat(next.index()).isNotEqualTo(leader.index());
        assertThat(next.term().token()).isGreaterThan(leader.term().token());
        assertThat(leader.term().isValid()).isFalse();
        each[done] = next.nanos() - t;
        leader = next;
      }
      long total = System.nanoTime() - r0;
      long[] sorted = Arrays.copyOf(each, done);
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "MEASURE one election: rolling handoff through %,d leaders of %,d took %.2f s "
          + "(median %.2f ms, p99 %.2f ms, max %.2f ms)%n", done, CANDIDATES, total / 1e9, sorted[done / 2] / 1e6,
          sorted[(int) Math.ceil(done * 0.99) - 1] / 1e6, sorted[done - 1] / 1e6);
      Candidate last = candidates[leader.index()];
      assertThat(Arrays.stream(candidates).filter(Candidate::isLeader)).containsExactly(last);
    } finally {
      closeAll(clients);
    }
  }

  /**
   * The backend's and the ZooKeeper client's share of the heap per waiting ticket, without the engine: tickets
   * joined and waiting (each watching its predecessor and its own node) through the SPI alone.
   */
  @Test
  void backendHeapPerWaitingTicketAtTheSpi() throws Exception {
    long serverPerNode = SERVER_PROCESS ? 0 : serverBytesPerZnode(CANDIDATES);
    dev.elector.ClientConfig config = ZkBackends.config(endpoint, "/scale-spi").toBuilder()
        .sessionTimeout(Duration.ofSeconds(10)).build();
    List<ZkBackend> backends = new ArrayList<>();
    try {
      for (int i = 0; i < SESSIONS; i++) {
        backends.add((ZkBackend) new ZooKeeperElectionProvider().connect(config, new Recorder()));
      }
      List<java.util.concurrent.CompletableFuture<Void>> heads = new ArrayList<>(CANDIDATES);
      long heap0 = usedHeap();
      long t0 = System.nanoTime();
      for (int i = 0; i < CANDIDATES; i++) {
        ZkBackend b = backends.get(i % SESSIONS);
        heads.add(b.enqueue("scale", "c" + i, new byte[0]).thenCompose(b::awaitHead).toCompletableFuture());
      }
      long deadline = System.nanoTime() + CAP.toNanos();
      long watching;
      while ((watching = backends.stream().mapToLong(b -> b.predecessorWatches.get()).sum()) < CANDIDATES - 1
          && System.nanoTime() - deadline < 0) {
        Thread.sleep(20);
      }
      if (watching < CANDIDATES - 1) {
        System.out.printf(Locale.ROOT, "MEASURE SPI: only %,d of %,d followers watch their predecessor within %d s%n",
            watching, CANDIDATES - 1, CAP.toSeconds());
      }
      assertThat(watching).as("followers watching their predecessor within %s", CAP).isEqualTo(CANDIDATES - 1);
      System.out.printf(Locale.ROOT, "MEASURE SPI: %,d tickets over %d sessions placed (one leads, the rest watch "
          + "their predecessor) in %.2f s with %,d listings of the line%n", CANDIDATES, SESSIONS,
          (System.nanoTime() - t0) / 1e9, backends.stream().mapToLong(b -> b.lineListings.get()).sum());
      assertThat(heads.stream().filter(java.util.concurrent.CompletableFuture::isDone)).hasSize(1);
      long perTicket = (usedHeap() - heap0) / CANDIDATES - serverPerNode;
      System.out.printf(Locale.ROOT, "MEASURE SPI: heap per waiting ticket (backend and ZooKeeper client, no engine) "
          + "%,d bytes%s%n", perTicket, SERVER_PROCESS ? "" : ", less " + serverPerNode + " per znode of the server");
      histogram("with " + CANDIDATES + " tickets waiting at the SPI");
    } finally {
      backends.forEach(ZkBackend::close);
    }
  }

  @Test
  void manyElectionsWithOneCandidateEachOnOneSession() throws Exception {
    String uri = "zookeeper://" + endpoint + "/scale-many?sessionTimeout=10s";
    List<ElectionClient> clients = new ArrayList<>();
    try {
      ElectionClient client = Elections.connect(uri);
      clients.add(client);
      CountDownLatch all = new CountDownLatch(ELECTIONS);
      List<Candidate> candidates = new ArrayList<>(ELECTIONS);
      long heap0 = usedHeap();
      long t0 = System.nanoTime();
      for (int i = 0; i < ELECTIONS; i++) {
        candidates.add(client.election("e" + i).candidate("c").listener(Runnable::run, new LeadershipListener() {
          @Override
          public void elected(Leadership term) {
            all.countDown();
          }

          @Override
          public void revoked(Leadership term, EndReason reason) {}
        }).join());
      }
      boolean ok = all.await(CAP.toMillis(), TimeUnit.MILLISECONDS);
      long nanos = System.nanoTime() - t0;
      if (ok) {
        System.out.printf(Locale.ROOT, "MEASURE many elections: %,d elections with one candidate each on one session, "
            + "all elected in %.2f s%n", ELECTIONS, nanos / 1e9);
      } else {
        System.out.printf(Locale.ROOT, "MEASURE many elections: only %,d of %,d elected within %d s%n",
            ELECTIONS - all.getCount(), ELECTIONS, CAP.toSeconds());
      }
      assertThat(ok).as("all elected within %s", CAP).isTrue();
      long heap1 = usedHeap();
      System.out.printf(Locale.ROOT, "MEASURE many elections: heap per candidate %,d bytes %s%n",
          (heap1 - heap0) / ELECTIONS, SERVER_PROCESS ? "(client only: the server runs in its own process)"
              : "gross (the in-process server's election node and ticket included)");
      assertThat(candidates.stream().filter(Candidate::isLeader)).hasSize(ELECTIONS);
    } finally {
      closeAll(clients);
    }
  }

  private static void closeAll(List<ElectionClient> clients) throws InterruptedException {
    List<Thread> closers = new ArrayList<>();
    for (ElectionClient c : clients) {
      Thread t = new Thread(c::close, "scale-close");
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      t.join(60_000);
    }
  }

  /** Heap the in-process server keeps per ticket-shaped znode, measured with a raw client; the nodes then go. */
  private static long serverBytesPerZnode(int n) throws Exception {
    CountDownLatch up = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(endpoint, 10_000, e -> {
      if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
        up.countDown();
      }
    });
    try {
      assertThat(up.await(10, TimeUnit.SECONDS)).isTrue();
      // A new parent each time: the server removes an empty container only on its next sweep.
      String base = "/scale-baseline-" + BASELINES.incrementAndGet();
      zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
      long before = usedHeap();
      Semaphore inFlight = new Semaphore(1_000);
      CountDownLatch done = new CountDownLatch(n);
      byte[] data = dev.elector.spi.TicketCodec.encode("c1234", new byte[0]);
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        zk.create(base + "/0f6e2a3c-5b7d-4e1f-9a8b-7c6d5e4f3a2b" + TicketNames.SEQ_MARK, data,
            ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL, (rc, path, ctx, name) -> {
              inFlight.release();
              done.countDown();
            }, null);
      }
      assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();
      return Math.max(0, (usedHeap() - before) / n);
    } finally {
      zk.close();
    }
  }

  /** Used heap after full collections: the lowest of a few readings, so background garbage does not count. */
  private static long usedHeap() throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(150);
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  /** The class histogram {@code jcmd <pid> GC.class_histogram} would print, its top rows. */
  private static void histogram(String when) throws Exception {
    if (!Boolean.getBoolean("elector.measure.histogram")) {
      return;
    }
    String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    String[] lines = out.split("\n");
    System.out.println("MEASURE class histogram " + when + " (top 45):");
    for (int i = 0; i < Math.min(lines.length, 48); i++) {
      System.out.println("  " + lines[i]);
    }
  }
}
