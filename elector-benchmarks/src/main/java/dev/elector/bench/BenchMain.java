package dev.elector.bench;

import dev.elector.testservers.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the benchmark suite: re-executes itself in a JVM with fixed flags ({@link Relaunch}), starts a ZooKeeper
 * server in a JVM of its own and an etcd process, runs Elector and its peers on them in the same run, interleaved,
 * prints one table with the interval of every ratio, and writes CSV files and a chart. Every group has a budget
 * ({@link Plan}); their sum bounds the run.
 *
 * <pre>
 * ./mvnw -q -pl elector-benchmarks -am package -DskipTests
 * java -jar elector-benchmarks/target/elector-bench.jar            # full, under twelve minutes on 2 cores
 * java -jar elector-benchmarks/target/elector-bench.jar --quick    # about a minute
 * </pre>
 */
public final class BenchMain {
  /** Session timeout and lease TTL for every contender: short, so failover trials stay affordable. */
  static final Duration SESSION = Duration.ofSeconds(2);
  /** A lease TTL long enough that 10% of it covers etcd's 500 ms expiry sweep, for one extra failover row. */
  static final Duration LONG_ETCD_TTL = Duration.ofSeconds(Long.getLong("bench.etcdLongTtl", 8));
  static final String LONG_ETCD = "etcd, TTL " + LONG_ETCD_TTL.toSeconds() + " s";

  private BenchMain() {}

  /** Held so the level sticks: the engine warns when a partitioned client cannot remove its tickets on close. */
  private static final java.util.logging.Logger ELECTOR_LOG = java.util.logging.Logger.getLogger("dev.elector");
  /** gRPC warns through java.util.logging when etcd throttles keepalive pings (a client setting, not a failure). */
  private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

  public static void main(String[] args) throws Exception {
    ELECTOR_LOG.setLevel(java.util.logging.Level.SEVERE);
    GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
    // Before any logger exists: ZooKeeper, Curator and gRPC log every expected disconnect of the fault scenarios.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.curator", "off");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.zookeeper", "off");
    System.setProperty("org.slf4j.simpleLogger.log.io.grpc", "off");
    System.setProperty("org.slf4j.simpleLogger.log.io.etcd", "off");
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (Relaunch.needed()) {
      System.out.println("re-executing in a JVM with fixed flags: " + String.join(" ", Relaunch.FLAGS));
      System.exit(Relaunch.run(args));
      return;
    }
    Results res = run(o);
    res.printTable(System.out);
    System.exit(0);
  }

  /** Runs the suite and writes its files; returns the results (the smoke test inspects them). */
  static Results run(Options o) throws Exception {
    long start = System.nanoTime();
    RUN_START = start;
    Plan plan = Plan.of(o.mode());
    Results res = new Results();
    Machine machine = new Machine();
    res.machine(machine);
    long seed = Long.getLong("bench.seed", System.nanoTime());
    res.header(String.format(Locale.ROOT, "Elector benchmarks, %s mode, %d cores, Java %s, load %s at start",
        o.mode().name().toLowerCase(Locale.ROOT), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.version"), Machine.loadAverage()));
    res.header("benchmark JVM flags: " + Relaunch.flags());
    res.header("seed " + seed + " (failover phases, churn ages; rerun with -Dbench.seed=" + seed + "); bootstrap seed "
        + Bootstrap.SEED + ", " + Bootstrap.RESAMPLES + " resamples per interval");
    res.header(plan.describe());
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Machine.Phase p = machine.phase("disk probe")) {
      Machine.fsyncProbe(res, tmp, plan.fsync(), Duration.ofSeconds(5));
    }
    boolean latency = o.runs("floors") || o.runs("handoff") || o.runs("failover") || o.runs("herd");
    if (latency) {
      try (ZkProcess zk = new ZkProcess(Duration.ofSeconds(60));
           EtcdServer etcd = new EtcdServer(Duration.ofSeconds(30));
           PostgresServer pg = PostgresServer.start(true)) {
        zk.warmUp(plan.zkWarmUpRounds(), 2_000);
        machine.server("ZooKeeper", zk.pid());
        machine.server("etcd", etcd.pid());
        machine.server("PostgreSQL", pg.pid());
        res.header("ZooKeeper " + zk.endpoint() + " (own JVM: " + String.join(" ", ZkProcess.JVM_FLAGS) + ", tick "
            + ZkServer.TICK_MS + " ms), etcd " + etcd.endpoint() + " (child process); session timeout / lease TTL "
            + SESSION.toMillis() + " ms; PostgreSQL " + pg.endpoint() + " (child process, defaults, fsync on); data dirs"
            + " under " + tmp);
        try (Lineup l = new Lineup(zk.endpoint(), etcd.endpoint(), pg.endpoint())) {
          latencyGroups(o, plan, res, machine, seed, zk, etcd, pg, l);
        } finally {
          machine.forget("ZooKeeper");
          machine.forget("etcd");
          machine.forget("PostgreSQL");
        }
      }
    }
    if (o.runs("scale")) {
      // After the shared servers are gone: each shape and contender gets servers of its own (see Scale).
      section("scale");
      try (Machine.Phase p = machine.phase("scale")) {
        Scale.runAll(res, o, Budget.of(plan.scale()));
      }
    }
    Targets.evaluate(res, plan.herdCandidates(), o.pick(10_000, 1_000, 100));
    res.writeCsv(o.out());
    Path chart = o.out().resolve("handoff-failover.png");
    Chart.write(chart, "Elector vs peers, same servers, same run (" + o.mode().name().toLowerCase(Locale.ROOT)
        + " mode)", panels(res));
    if (o.docsChart() != null && Files.exists(chart)) {
      try {
        Files.createDirectories(o.docsChart().toAbsolutePath().getParent());
        Files.copy(chart, o.docsChart(), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        System.err.println("could not copy the chart to " + o.docsChart() + ": " + e);
      }
    }
    res.header(String.format(Locale.ROOT, "finished in %.0f s (budgeted %d s)", (System.nanoTime() - start) / 1e9,
        plan.total().toSeconds()));
    System.out.printf(Locale.ROOT, "%nRaw numbers: %s, %s, %s; chart: %s%s%n%n", o.out().resolve("raw.csv"),
        o.out().resolve("summary.csv"), o.out().resolve("run.txt"), chart,
        o.docsChart() != null ? " (copied to " + o.docsChart() + ")" : "");
    return res;
  }

  /** Floors, handoffs, failover and herd, on the shared servers (herd on ZooKeeper: a counting server of its own). */
  private static void latencyGroups(Options o, Plan plan, Results res, Machine machine, long seed, ZkProcess zk,
      EtcdServer etcd, PostgresServer pg, Lineup l) throws Exception {
    if (o.runs("floors")) {
      section("round trips and floors");
      try (Machine.Phase p = machine.phase("floors")) {
        // Fixed shares of the group's budget, so a slow first step cannot starve the floors the targets need: round
        // trips 15% per server, hot floors 15% per server, the quiet floor (paced, both servers) 40%.
        Duration fb = plan.floors();
        int n = plan.roundTrips();
        Floors.zookeeper(res, zk.endpoint(), n, fb.multipliedBy(15).dividedBy(100));
        Floors.etcd(res, etcd.endpoint(), n, fb.multipliedBy(15).dividedBy(100));
        // What a handoff physically needs (a delete seen by a watcher), back to back and paced like steady handoffs.
        Floors.zookeeperNotify(res, zk.endpoint(), plan.hotNotify(), fb.multipliedBy(15).dividedBy(100));
        Floors.etcdNotify(res, etcd.endpoint(), plan.hotNotify(), fb.multipliedBy(15).dividedBy(100));
        QuietFloor.run(res, zk.endpoint(), etcd.endpoint(), plan.quietNotify(), fb.multipliedBy(40).dividedBy(100));
      }
    }
    if (o.runs("handoff")) {
      for (boolean churn : new boolean[] {false, true}) {
        section("handoff, " + (churn ? "churn" : "steady"));
        Budget section = Budget.of(churn ? plan.churn() : plan.steady());
        // Shared out by contenders: a backend with three contenders gets three fifths of what is left.
        // Smoke checks the harness: one mode is enough to walk both kinds of lane.
        List<Handoff.Mode> modes = o.mode() == Options.Mode.SMOKE ? List.of(Handoff.Mode.CLOSE)
            : List.of(Handoff.Mode.values());
        int weightLeft = modes.size() * (l.zk().size() + l.etcd().size() + l.pg().size());
        for (Handoff.Mode mode : modes) {
          for (String backend : BACKENDS) {
            List<Contender> cs = l.on(backend);
            Duration b = section.remaining().multipliedBy(cs.size()).dividedBy(Math.max(1, weightLeft));
            weightLeft -= cs.size();
            try (Machine.Phase p = machine.phase(Handoff.scenario(mode, churn, backend))) {
              Handoff.Plan hp = new Handoff.Plan(churn ? 1 : plan.warmup(), churn ? plan.churnPerRep()
                  : plan.steadyPerRep(), plan.reps(), churn ? 1 : plan.lanes(), b, seed);
              Handoff.run(cs, backend, mode, churn, hp).forEach(res::add);
            }
          }
        }
      }
    }
    if (o.runs("failover")) {
      section("crash failover and partition step-down");
      int n = plan.failoverTrials();
      List<Failover.Target> targets = new ArrayList<>(List.of(
          new Failover.Target("ZooKeeper", "127.0.0.1", zk.port(), l.zk(), SESSION, n),
          new Failover.Target("etcd", "127.0.0.1", etcd.port(), l.etcd(), SESSION, n),
          new Failover.Target("PostgreSQL", "127.0.0.1", pg.port(), l.pg(), SESSION, n)));
      if (o.full()) {
        // etcd revokes expired leases from a loop that runs every 500 ms, more than 10% of a 2 s TTL: a longer
        // TTL shows whether failover is within TTL + 10% once 10% covers that sweep. Side by side with the
        // others, so it costs no extra time.
        targets.add(new Failover.Target(LONG_ETCD, "127.0.0.1", etcd.port(), l.etcdLong(LONG_ETCD_TTL),
            LONG_ETCD_TTL, Integer.getInteger("bench.etcdLongTrials", 8)));
      }
      try (Machine.Phase p = machine.phase("failover")) {
        Failover.run(res, targets, plan.failover(), seed);
      }
    }
    if (o.runs("herd")) {
      section("herd");
      Budget hb = Budget.of(plan.herd());
      int candidates = plan.herdCandidates();
      int sessions = plan.herdSessions();
      int handoffs = plan.herdHandoffs();
      // The watch counter loops over every connection on every notification: only the herd's own server has it.
      try (Machine.Phase p = machine.phase("herd"); ZkServer counting = new ZkServer();
           Lineup herdZk = new Lineup(counting.endpoint(), null)) {
        int left = herdZk.zk().size() + l.etcd().size();
        for (Contender c : herdZk.zk()) {
          Herd.zookeeper(res, c, candidates, sessions, handoffs, share(hb, left--));
        }
        for (Contender c : l.etcd()) {
          Herd.etcd(res, c, etcd.port(), candidates, sessions, handoffs, share(hb, left--));
        }
      }
    }
  }

  /** An equal share of what is left of {@code b} among {@code parts} steps still to run. */
  private static Duration share(Budget b, int parts) {
    return b.remaining().dividedBy(Math.max(1, parts));
  }

  /** The backends every latency scenario runs on, in the order of the table. */
  static final List<String> BACKENDS = List.of("ZooKeeper", "etcd", "PostgreSQL");

  static List<Chart.Panel> panels(Results res) {
    List<Chart.Panel> p = new ArrayList<>();
    for (String backend : BACKENDS) {
      List<Row> rows = new ArrayList<>();
      for (Row r : res.rows()) {
        if (r.scenario().startsWith("handoff close") && r.scenario().endsWith(backend)) {
          rows.add(r);
        }
      }
      p.add(new Chart.Panel("Handoff (leader closes) on " + backend + ": steady (solid) and churn (dashed)", rows,
          true));
    }
    for (String backend : BACKENDS) {
      List<Row> rows = new ArrayList<>();
      for (Row r : res.rows()) {
        if (r.scenario().startsWith("crash failover") && r.scenario().endsWith(backend)) {
          rows.add(r);
        }
      }
      p.add(new Chart.Panel("Crash failover on " + backend + " (session timeout " + SESSION.toMillis() + " ms)",
          rows, false));
    }
    return p;
  }

  private static volatile long RUN_START = System.nanoTime();

  static void section(String name) {
    System.out.printf(Locale.ROOT, "== %s (at %.0f s)%n", name, (System.nanoTime() - RUN_START) / 1e9);
  }
}
