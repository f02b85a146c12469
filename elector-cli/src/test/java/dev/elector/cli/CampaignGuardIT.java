package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code elector campaign}'s guard, with the real jar as separate processes: a frozen elector's COMMAND is gone
 * before a successor's starts (ZooKeeper and etcd), COMMAND's whole process group stops with its term and with
 * elector, and a healthy leader's COMMAND does not flap on a loaded machine.
 *
 * <p>Each freeze test runs {@value #DEFAULT_ROUNDS} freezes by default; {@code -Delector.freeze.rounds=N} runs N.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "freezes processes with SIGSTOP and reads /proc")
class CampaignGuardIT {
  private static final int DEFAULT_ROUNDS = 2;
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static EmbeddedZooKeeper zk;

  @TempDir Path tmp;
  private final List<Elector> electors = new ArrayList<>();
  private final List<Process> extra = new ArrayList<>();

  @BeforeAll
  static void startZooKeeper() {
    zk = EmbeddedZooKeeper.start(0, Duration.ofMillis(200));
  }

  @AfterAll
  static void stopZooKeeper() {
    if (zk != null) {
      zk.close();
    }
  }

  @AfterEach
  void stopEverything() {
    // A test that failed mid-freeze must not leave a stopped JVM behind.
    electors.forEach(e -> {
      if (e.process().isAlive()) {
        Pids.signal(e.process().pid(), "CONT");
      }
    });
    electors.forEach(Elector::close);
    extra.forEach(Process::destroyForcibly);
    // What each elector said, in the test's report, for a failure to be read afterwards.
    electors.forEach(e -> System.out.printf("--- %s stderr:%n%s", e, e.err()));
  }

  /** A long connect timeout: a JVM starting on a loaded machine is slow, and that is not what these tests test. */
  private static final String CONNECT = "&connectTimeout=20s";

  private static String zkUri(String root, Duration session) {
    return "zookeeper://" + zk.hostPort() + "/" + root + "?sessionTimeout=" + session.toMillis() + "ms" + CONNECT;
  }

  private Elector campaign(String uri, String election, String id, List<String> command) {
    List<String> args = new ArrayList<>(List.of("campaign", "--connect", uri, "--election", election, "--id", id,
        "--"));
    args.addAll(command);
    Elector e = Elector.start(tmp, id, Map.of(), args.toArray(String[]::new));
    electors.add(e);
    return e;
  }

  @Test
  void aFrozenLeadersCommandEndsBeforeTheSuccessorsStarts_zookeeper() throws Exception {
    Duration session = Duration.ofSeconds(2);
    freezeRounds("zookeeper", zkUri("guard-it", session), session);
  }

  @Test
  void aFrozenLeadersCommandEndsBeforeTheSuccessorsStarts_etcd() throws Exception {
    Duration session = Duration.ofSeconds(3);
    try (EtcdProcess etcd = EtcdProcess.start()) {
      freezeRounds("etcd", "etcd://" + etcd.endpoint() + "/guard-it?sessionTimeout=" + session.toSeconds() + "s" + CONNECT,
          session);
    }
  }

  /**
   * Three candidates; each round freezes the leading elector (SIGSTOP) for twice the session timeout, waits for a
   * successor's COMMAND, and lets the frozen one go (SIGCONT). COMMAND's lines (its own and its child's) must stop
   * before the successor's first line, in the file's order and on the shared clock.
   */
  private void freezeRounds(String backend, String uri, Duration session) throws Exception {
    int rounds = Integer.getInteger("elector.freeze.rounds", DEFAULT_ROUNDS);
    CommandLog log = new CommandLog(tmp.resolve("command.log"));
    Map<String, Elector> byId = new java.util.HashMap<>();
    for (String id : List.of("f1", "f2", "f3")) {
      byId.put(id, campaign(uri, "freeze", id, log.command()));
    }
    await().atMost(PATIENCE).until(() -> log.runs().size() == 1);
    for (int round = 1; round <= rounds; round++) {
      int runsBefore = log.runs().size();
      CommandLog.Run leading = log.runs().get(runsBefore - 1);
      // The leader's COMMAND is up and its child too before the freeze.
      await().atMost(PATIENCE).until(() -> lastRun(log).lines().stream().anyMatch(l -> l.kind().equals("child")));
      Elector frozen = byId.get(leading.start().id());
      Pids.signal(frozen.process().pid(), "STOP");
      long frozenAt = System.nanoTime();
      try {
        await().atMost(PATIENCE).until(() -> log.runs().size() > runsBefore);
        // The freeze lasts twice the session timeout however soon the successor came.
        long left = session.multipliedBy(2).toNanos() - (System.nanoTime() - frozenAt);
        if (left > 0) {
          TimeUnit.NANOSECONDS.sleep(left);
        }
      } finally {
        Pids.signal(frozen.process().pid(), "CONT");
      }
      System.out.printf("%s freeze %d/%d: froze %s; next %s%n", backend, round, rounds, leading.term(),
          log.runs().get(runsBefore).term());
    }
    List<CommandLog.Run> runs = log.runs();
    List<String> overlaps = CommandLog.overlaps(runs);
    List<Long> margins = CommandLog.margins(runs);
    List<Long> sorted = margins.stream().sorted().toList();
    System.out.printf("%s: %d freezes, %d overlaps, margins %s ms (min %d, median %d)%n", backend, rounds,
        overlaps.size(), margins, sorted.get(0), sorted.get(sorted.size() / 2));
    assertThat(overlaps).as("COMMANDs alive at once; log:%n%s", log).isEmpty();
    assertThat(runs).as("one run per freeze, plus the first").hasSize(rounds + 1);
    for (int i = 1; i < runs.size(); i++) {
      assertThat(runs.get(i).start().token()).isGreaterThan(runs.get(i - 1).start().token());
    }
  }

  private static CommandLog.Run lastRun(CommandLog log) {
    List<CommandLog.Run> runs = log.runs();
    return runs.get(runs.size() - 1);
  }

  /** COMMAND that forks a child which leaves it at once (so it is nobody's descendant but init's): pid files. */
  private List<String> forkingCommand(Path pids) {
    return List.of("bash", "-c", "( sleep 1000 & echo $! > '" + pids.resolve("grandchild") + "' ); "
        + "echo $$ > '" + pids.resolve("command") + "'; exec sleep 1000");
  }

  private static long pidIn(Path file) throws Exception {
    await().atMost(PATIENCE).until(() -> Files.exists(file) && Files.readString(file).trim().matches("\\d+"));
    return Long.parseLong(Files.readString(file).trim());
  }

  @Test
  void aCommandAndTheProcessesItForksStopWhenTheTermEnds() throws Exception {
    Elector e = campaign(zkUri("guard-it", Duration.ofSeconds(2)), "fork-stop", "fs", forkingCommand(tmp));
    long command = pidIn(tmp.resolve("command"));
    long grandchild = pidIn(tmp.resolve("grandchild"));
    assertThat(Pids.alive(command) && Pids.alive(grandchild)).isTrue();
    e.process().destroy(); // SIGTERM: elector ends its term and leaves
    assertThat(e.process().waitFor(15, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.alive(command) && !Pids.alive(grandchild));
  }

  @Test
  void aCommandAndTheProcessesItForksStopWhenElectorIsKilled() throws Exception {
    Elector e = campaign(zkUri("guard-it", Duration.ofSeconds(2)), "fork-kill", "fk", forkingCommand(tmp));
    long command = pidIn(tmp.resolve("command"));
    long grandchild = pidIn(tmp.resolve("grandchild"));
    assertThat(Pids.alive(command) && Pids.alive(grandchild)).isTrue();
    e.process().destroyForcibly(); // SIGKILL
    await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.alive(command) && !Pids.alive(grandchild));
  }

  /**
   * A healthy leader on a machine whose cores are all kept busy, from before elector starts (a JVM starting up is
   * at its slowest, and so is the first guard): COMMAND runs once through 10 s, never stopped. Prints what the
   * guard cost: its CPU time and memory, and the CPU time of elector's renewal thread.
   */
  @Test
  void aHealthyLeadersCommandDoesNotFlapOnALoadedMachine() throws Exception {
    Duration run = Duration.ofSeconds(10);
    for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
      // A busy loop that ends by itself even if this JVM dies first (bash's SECONDS: no fork in the loop).
      extra.add(new ProcessBuilder("bash", "-c", "while ((SECONDS < " + (PATIENCE.plus(run).toSeconds()) + ")); "
          + "do :; done").start());
    }
    CommandLog log = new CommandLog(tmp.resolve("flap.log"));
    Elector e = campaign(zkUri("guard-it", Duration.ofSeconds(2)), "flap", "steady", log.command());
    await().atMost(PATIENCE).until(() -> log.runs().size() == 1);
    Optional<ProcessHandle> guard = e.process().toHandle().children().findFirst();
    Path guardStat = guard.map(g -> Path.of("/proc", Long.toString(g.pid()), "stat")).orElse(null);
    Path renewalStat = renewalThreadStat(e.process().pid());
    long guardCpu0 = guardStat == null ? 0 : Pids.cpuTicks(guardStat);
    long renewalCpu0 = renewalStat == null ? 0 : Pids.cpuTicks(renewalStat);
    long end = System.nanoTime() + run.toNanos();
    while (System.nanoTime() - end < 0) {
      assertThat(log.runs()).as("COMMAND started once; elector said:%n%s", e.err()).hasSize(1);
      Thread.sleep(100);
    }
    List<CommandLog.Run> runs = log.runs();
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).lines()).noneMatch(l -> l.kind().equals("end"));
    assertThat(e.err()).doesNotContain("stopping COMMAND").doesNotContain("stopped by its guard")
        .doesNotContain("no renewal");
    assertThat(e.process().isAlive()).isTrue();
    if (guardStat != null) {
      System.out.printf("guard cost over %s on a loaded machine: guard process %d ms CPU, RSS %d KiB; "
              + "elector's renewal thread %s ms CPU%n", run, (Pids.cpuTicks(guardStat) - guardCpu0) * 10,
          Pids.rssKib(guard.get().pid()),
          renewalStat == null ? "?" : (Pids.cpuTicks(renewalStat) - renewalCpu0) * 10);
    }
  }

  /** The stat file of the elector JVM's renewal thread, found by its name, or null without one. */
  private static Path renewalThreadStat(long jvm) throws Exception {
    try (var tasks = Files.list(Path.of("/proc", Long.toString(jvm), "task"))) {
      for (Path task : tasks.toList()) {
        if (Files.readString(task.resolve("comm")).trim().startsWith("elector-renew")) {
          return task.resolve("stat");
        }
      }
    }
    return null;
  }
}
