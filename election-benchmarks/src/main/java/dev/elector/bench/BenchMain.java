package dev.elector.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the benchmark suite: starts an in-process ZooKeeper server and an etcd process, runs Elector and its peers on
 * them in the same run, prints one table, and writes CSV files and a chart.
 *
 * <pre>
 * ./mvnw -q -pl election-benchmarks -am package -DskipTests
 * java -jar election-benchmarks/target/elector-bench.jar            # full, under ten minutes
 * java -jar election-benchmarks/target/elector-bench.jar --quick    # about a minute
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
    Results res = run(o);
    res.printTable(System.out);
    System.exit(0);
  }

  /** Runs the suite and writes its files; returns the results (the smoke test inspects them). */
  static Results run(Options o) throws Exception {
    long start = System.nanoTime();
    // The whole run's budget: the last groups (herd, scale) shrink their caps to what is left of it.
    Budget run = Budget.of(Duration.ofSeconds(o.pick(540, 50, 60)));
    RUN_START = start;
    Results res = new Results();
    System.out.printf(Locale.ROOT, "Elector benchmarks, %s mode, %d cores, %s%n", o.mode().name().toLowerCase(Locale.ROOT),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    try (ZkServer zk = new ZkServer(); EtcdServer etcd = new EtcdServer(Duration.ofSeconds(30));
         Lineup l = new Lineup(zk, etcd, res)) {
      System.out.println("ZooKeeper " + zk.endpoint() + " (in-process, tick " + ZkServer.TICK_MS + " ms), etcd "
          + etcd.endpoint() + "; session timeout / lease TTL " + SESSION.toMillis() + " ms");
      if (o.runs("floors")) {
        section("round trips");
        int n = o.pick(2_000, 300, 20);
        Duration b = Duration.ofSeconds(o.pick(6, 2, 1));
        Floors.zookeeper(res, zk.endpoint(), n, b);
        Floors.etcd(res, etcd.endpoint(), n, b);
        // What a handoff physically needs (a delete seen by a watcher), on the servers the handoffs use.
        int nn = o.pick(1_000, 300, 20);
        Duration nb = Duration.ofSeconds(o.pick(12, 3, 2));
        Floors.zookeeperNotify(res, zk.endpoint(), nn, nb);
        Floors.etcdNotify(res, etcd.endpoint(), nn, nb);
      }
      if (o.runs("handoff")) {
        section("handoff");
        int warm = o.pick(20, 5, 1);
        int n = o.pick(200, 30, 3);
        // A third of what is left of the run, shared out run by run: fast runs leave more for slow ones (jetcd's
        // churn handoffs take about 100 ms each).
        Budget section = Budget.of(run.remaining().dividedBy(3));
        int runsLeft = o.mode() == Options.Mode.SMOKE ? l.zk().size() + l.etcd().size()
            : 4 * (l.zk().size() + l.etcd().size());
        for (Handoff.Mode mode : Handoff.Mode.values()) {
          for (boolean churn : new boolean[] {false, true}) {
            if (o.mode() == Options.Mode.SMOKE && (mode != Handoff.Mode.CLOSE || churn)) {
              continue;
            }
            for (Contender c : l.zk()) {
              Duration b = min(Duration.ofSeconds(o.pick(25, 3, 5)), section.remaining().dividedBy(runsLeft--));
              res.add(Handoff.run(c, "ZooKeeper", mode, churn, warm, n, b));
            }
            for (Contender c : l.etcd()) {
              Duration b = min(Duration.ofSeconds(o.pick(25, 3, 5)), section.remaining().dividedBy(runsLeft--));
              res.add(Handoff.run(c, "etcd", mode, churn, warm, n, b));
            }
          }
        }
      }
      if (o.runs("failover")) {
        section("crash failover and partition step-down");
        long seed = Long.getLong("bench.seed", System.nanoTime());
        System.out.println("seed " + seed + " (rerun with -Dbench.seed=" + seed + ")");
        int n = o.pick(20, 3, 1);
        Duration b = min(Duration.ofSeconds(o.pick(120, 30, 15)), run.remaining().multipliedBy(2).dividedBy(5));
        List<Failover.Target> targets = new ArrayList<>(List.of(
            new Failover.Target("ZooKeeper", "127.0.0.1", zk.port(), l.zk(), SESSION, n),
            new Failover.Target("etcd", "127.0.0.1", etcd.port(), l.etcd(), SESSION, n)));
        if (o.full()) {
          // etcd revokes expired leases from a loop that runs every 500 ms, more than 10% of a 2 s TTL: a longer
          // TTL shows whether failover is within TTL + 10% once 10% covers that sweep. Side by side with the
          // others, so it costs no extra time.
          targets.add(new Failover.Target(LONG_ETCD, "127.0.0.1", etcd.port(), l.etcdLong(LONG_ETCD_TTL),
              LONG_ETCD_TTL, Integer.getInteger("bench.etcdLongTrials", 8)));
        }
        Failover.run(res, targets, b, seed);
      }
      if (o.runs("herd")) {
        section("herd");
        int candidates = o.pick(1_000, 300, 50);
        int sessions = o.pick(50, 10, 5);
        int handoffs = o.pick(50, 5, 3);
        Duration b = min(Duration.ofSeconds(o.pick(60, 20, 10)), run.remaining().dividedBy(o.runs("scale") ? 6 : 2));
        for (Contender c : l.zk()) {
          if (!(c instanceof SelectorContender)) {
            Herd.zookeeper(res, c, candidates, sessions, handoffs, b);
          }
        }
        for (Contender c : l.etcd()) {
          Herd.etcd(res, c, etcd.port(), candidates, sessions, handoffs, b);
        }
      }
    }
    if (o.runs("scale")) {
      // After the shared servers are gone: each shape and contender gets servers of its own (see Scale).
      section("scale");
      Scale.runAll(res, o, run);
    }
    Targets.evaluate(res, o.pick(1_000, 300, 50), o.pick(10_000, 1_000, 100));
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
    System.out.printf(Locale.ROOT, "%nFinished in %.0f s. Raw numbers: %s, %s; chart: %s%s%n%n",
        (System.nanoTime() - start) / 1e9, o.out().resolve("raw.csv"), o.out().resolve("summary.csv"), chart,
        o.docsChart() != null ? " (copied to " + o.docsChart() + ")" : "");
    return res;
  }

  static List<Chart.Panel> panels(Results res) {
    List<Chart.Panel> p = new ArrayList<>();
    for (String backend : List.of("ZooKeeper", "etcd")) {
      List<Row> rows = new ArrayList<>();
      for (Row r : res.rows()) {
        if (r.scenario().startsWith("handoff close") && r.scenario().endsWith(backend)) {
          rows.add(r);
        }
      }
      p.add(new Chart.Panel("Handoff (leader closes) on " + backend + ": steady (solid) and churn (dashed)", rows,
          true));
    }
    for (String backend : List.of("ZooKeeper", "etcd")) {
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

  private static Duration min(Duration a, Duration b) {
    Duration m = a.compareTo(b) <= 0 ? a : b;
    return m.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : m;
  }

  private static volatile long RUN_START = System.nanoTime();

  static void section(String name) {
    System.out.printf(Locale.ROOT, "== %s (at %.0f s)%n", name, (System.nanoTime() - RUN_START) / 1e9);
  }
}
