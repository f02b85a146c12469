package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.faultproxy.FaultProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code elector campaign}, {@code leader}, {@code participants} and {@code observe} as separate processes against
 * a real ZooKeeper server started by this test.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "checks processes through /proc and needs setpriv")
class CampaignIT {
  private static final Duration SESSION = Duration.ofSeconds(2);
  private static final Duration PATIENCE = SESSION.plusSeconds(20);
  /** A JVM starting on a loaded machine can take longer than the 5 s default to connect; that is not tested here. */
  private static final String CONNECT = "&connectTimeout=20s";
  private static EmbeddedZooKeeper zk;

  @TempDir Path tmp;
  private final List<Elector> electors = new ArrayList<>();
  private final List<Long> commandPids = new ArrayList<>();

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
    electors.forEach(Elector::close);
    // What each elector said, in the test's report, for a failure to be read afterwards.
    electors.forEach(e -> System.out.printf("--- %s stderr:%n%s", e, e.err()));
    synchronized (commandPids) {
      commandPids.forEach(Pids::kill);
    }
  }

  private String uri() {
    return "zookeeper://" + zk.hostPort() + "/cli-it?sessionTimeout=" + SESSION.toSeconds() + "s" + CONNECT;
  }

  private Elector start(String name, String... args) {
    Elector e = Elector.start(tmp, name, Map.of(), args);
    electors.add(e);
    return e;
  }

  private Elector run(String name, String... args) throws InterruptedException {
    Elector e = Elector.run(tmp, name, Duration.ofSeconds(30), Map.of(), args);
    electors.add(e);
    return e;
  }

  /** One line per start of the command: id, token, pid. */
  private record Start(String id, long token, long pid) {}

  private List<Start> starts(Path markers) {
    List<Start> out = new ArrayList<>();
    try {
      if (!Files.exists(markers)) {
        return out;
      }
      for (String line : Files.readAllLines(markers)) {
        String[] f = line.trim().split(" ");
        if (f.length == 4 && f[0].equals("start")) {
          out.add(new Start(f[1], Long.parseLong(f[2]), Long.parseLong(f[3])));
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    synchronized (commandPids) {
      out.forEach(s -> {
        if (!commandPids.contains(s.pid())) {
          commandPids.add(s.pid());
        }
      });
    }
    return out;
  }

  @Test
  void oneCommandRunsAtATimeAndASuccessorTakesOverAfterTheLeaderIsKilled() throws Exception {
    String election = "failover";
    Path markers = tmp.resolve("markers.log");
    // exec keeps the pid: the process that got the token is the one that must die with its elector.
    String script = "echo \"start $ELECTOR_ID $ELECTOR_TOKEN $$\" >> '" + markers + "'; exec sleep 1000";
    Elector observer = start("observe", "observe", "--connect", uri(), "--election", election, "--json");
    Map<String, Elector> byId = new java.util.HashMap<>();
    for (String id : List.of("e1", "e2", "e3")) {
      byId.put(id, start(id, "campaign", "--connect", uri(), "--election", election, "--id", id,
          "--data", "host-" + id, "--", "sh", "-c", script));
    }

    // Sampled all along: never two of the commands alive at once.
    AtomicInteger mostAlive = new AtomicInteger();
    ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
    monitor.scheduleAtFixedRate(() -> {
      int alive = (int) starts(markers).stream().filter(s -> Pids.alive(s.pid())).count();
      mostAlive.accumulateAndGet(alive, Math::max);
    }, 0, 20, TimeUnit.MILLISECONDS);
    try {
      await().atMost(PATIENCE).until(() -> starts(markers).size() == 1);
      Start first = starts(markers).get(0);
      assertThat(byId).containsKey(first.id());

      Elector leader = run("leader-1", "leader", "--connect", uri(), "--election", election);
      assertThat(leader.exitCode()).as(leader.err()).isZero();
      assertThat(leader.outLines()).containsExactly(first.id() + " token=" + first.token() + " data=host-" + first.id());

      Elector line = run("participants-1", "participants", "--connect", uri(), "--election", election);
      assertThat(line.exitCode()).as(line.err()).isZero();
      assertThat(line.outLines()).hasSize(3);
      assertThat(line.outLines().get(0)).startsWith("1 " + first.id() + " token=" + first.token());

      // Crash: SIGKILL the leading java process itself.
      long killedAt = System.nanoTime();
      byId.get(first.id()).process().destroyForcibly();
      await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.alive(first.pid()));
      await().atMost(PATIENCE).until(() -> starts(markers).size() == 2);
      Duration failover = Duration.ofNanos(System.nanoTime() - killedAt);
      Start second = starts(markers).get(1);
      assertThat(second.id()).isNotEqualTo(first.id());
      assertThat(second.token()).isGreaterThan(first.token());
      // The killed session had to time out on the server: a successor within half of it would mean it did not.
      assertThat(failover).isGreaterThan(SESSION.dividedBy(2));

      // SIGTERM: elector stops its command, leaves the line, and the last candidate takes over.
      Elector secondElector = byId.get(second.id());
      secondElector.process().destroy();
      await().atMost(Duration.ofSeconds(10)).until(() -> !secondElector.process().isAlive());
      assertThat(Pids.alive(second.pid())).isFalse();
      assertThat(secondElector.err()).contains("stopping COMMAND").contains("left election");
      await().atMost(PATIENCE).until(() -> starts(markers).size() == 3);
      Start third = starts(markers).get(2);
      assertThat(third.id()).isNotIn(first.id(), second.id());
      assertThat(third.token()).isGreaterThan(second.token());

      Elector leader3 = run("leader-3", "leader", "--connect", uri(), "--election", election, "--json");
      assertThat(leader3.outLines())
          .containsExactly("{\"id\":\"" + third.id() + "\",\"token\":" + third.token() + ",\"data\":\"host-"
              + third.id() + "\"}");

      // The observer saw the three leaders in order, tokens going up.
      await().atMost(Duration.ofSeconds(10)).until(() -> observedIds(observer).contains(third.id()));
      List<String> ids = observedIds(observer);
      assertThat(ids).containsSubsequence(first.id(), second.id(), third.id());
      List<Long> tokens = observedTokens(observer);
      for (int i = 1; i < tokens.size(); i++) {
        // A repeated report of the same leader may keep its token (SPEC rule 5.3); a new leader has a larger one.
        if (ids.get(i).equals(ids.get(i - 1))) {
          assertThat(tokens.get(i)).isEqualTo(tokens.get(i - 1));
        } else {
          assertThat(tokens.get(i)).isGreaterThan(tokens.get(i - 1));
        }
      }

      byId.get(third.id()).process().destroy();
      await().atMost(Duration.ofSeconds(10)).until(() -> !byId.get(third.id()).process().isAlive());
      Elector none = run("leader-none", "leader", "--connect", uri(), "--election", election);
      assertThat(none.exitCode()).isEqualTo(3);
      assertThat(none.out()).isEmpty();
      assertThat(none.errLines()).containsExactly("elector leader: election 'failover' has no leader");
      // The observer reports the empty line too, after the last leader (SPEC rule 5.2).
      await().atMost(Duration.ofSeconds(10)).until(() -> observer.out().contains("\"leader\":null"));
      List<String> lines = observer.outLines();
      assertThat(lines.get(lines.size() - 1)).matches("\\{\"time\":\"[^\"]+\",\"leader\":null}");
      observer.close();
      assertThat(observer.err()).isEmpty();
    } finally {
      monitor.shutdownNow();
    }
    assertThat(mostAlive.get()).as("commands alive at once").isEqualTo(1);
    assertThat(starts(markers)).allSatisfy(s -> assertThat(Pids.alive(s.pid())).isFalse());
  }

  private static final Pattern OBSERVED = Pattern.compile("\"leader\":\\{\"id\":\"([^\"]*)\",\"token\":(\\d+)");

  private static List<String> observedIds(Elector observer) {
    List<String> ids = new ArrayList<>();
    for (String line : observer.outLines()) {
      Matcher m = OBSERVED.matcher(line);
      if (m.find()) {
        ids.add(m.group(1));
      }
    }
    return ids;
  }

  private static List<Long> observedTokens(Elector observer) {
    List<Long> tokens = new ArrayList<>();
    for (String line : observer.outLines()) {
      Matcher m = OBSERVED.matcher(line);
      if (m.find()) {
        tokens.add(Long.parseLong(m.group(2)));
      }
    }
    return tokens;
  }

  @Test
  void aLeaderCutOffFromTheServiceStopsItsCommandBeforeTheSuccessorStartsOne() throws Exception {
    String election = "partition";
    Path markers = tmp.resolve("partition.log");
    // The trap records the stop in the same file, so the file's order is the order things happened.
    String script = "trap 'echo \"stop $ELECTOR_ID\" >> \"" + markers + "\"; exit 0' TERM; "
        + "echo \"start $ELECTOR_ID $ELECTOR_TOKEN $$\" >> '" + markers + "'; sleep 1000 & wait";
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", zk.port())) {
      String viaProxy = "zookeeper://" + proxy.endpoint() + "/cli-it?sessionTimeout=" + SESSION.toSeconds() + "s"
          + CONNECT;
      Elector first = start("p1", "campaign", "--connect", viaProxy, "--election", election, "--id", "p1", "--",
          "sh", "-c", script);
      await().atMost(PATIENCE).until(() -> starts(markers).size() == 1);
      start("p2", "campaign", "--connect", uri(), "--election", election, "--id", "p2", "--", "sh", "-c", script);
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(300)).until(() ->
          run("participants-p", "participants", "--connect", uri(), "--election", election).outLines().size() == 2);

      proxy.partition();
      await().atMost(PATIENCE).until(() -> starts(markers).size() == 2);
      List<String> lines = Files.readAllLines(markers).stream().map(String::trim).toList();
      assertThat(lines.get(0)).startsWith("start p1 ");
      assertThat(lines.get(1)).isEqualTo("stop p1");
      assertThat(lines.get(2)).startsWith("start p2 ");
      // The revoked callback, the validity watchdog or the guard (its lease ends a grace before the term's
      // deadline), whichever comes first, stops it.
      assertThat(first.err()).containsPattern("(leadership (lost|no longer valid)|lease ran out).*: stopping COMMAND");
      assertThat(first.process().isAlive()).as("elector itself stays in the election").isTrue();
      proxy.dropConnections(); // the cut connections end, as a real outage's would
      proxy.heal();
    }
  }

  @Test
  void aCommandThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    Path markers = tmp.resolve("stubborn.log");
    // An ignored signal stays ignored across exec, so sleep itself ignores SIGTERM.
    String script = "trap '' TERM; echo \"start $ELECTOR_ID $ELECTOR_TOKEN $$\" >> '" + markers
        + "'; exec sleep 1000";
    Elector e = start("stubborn", "campaign", "--connect", uri(), "--election", "stubborn", "--id", "s",
        "--grace", "300ms", "--", "sh", "-c", script);
    await().atMost(PATIENCE).until(() -> starts(markers).size() == 1);
    long pid = starts(markers).get(0).pid();
    e.process().destroy();
    assertThat(e.process().waitFor(15, TimeUnit.SECONDS)).isTrue();
    assertThat(Pids.alive(pid)).isFalse();
    assertThat(e.err()).contains("COMMAND still running after 300ms: SIGKILL");
  }

  @Test
  void commandExitingByItselfEndsTheCampaignWithItsExitCodeAndItsEnvironmentNamesTheTerm() throws Exception {
    Path env = tmp.resolve("env.txt");
    Elector e = run("solo", "campaign", "--connect", uri(), "--election", "exit-code", "--id", "solo", "--",
        "sh", "-c", "echo \"$ELECTOR_ELECTION $ELECTOR_ID $ELECTOR_TOKEN\" > '" + env + "'; exit 7");
    assertThat(e.exitCode()).as(e.err()).isEqualTo(7);
    assertThat(Files.readString(env).trim()).matches("exit-code solo \\d+");
    assertThat(e.err()).contains("exited by itself with code 7").contains("left election");

    Elector line = run("participants-empty", "participants", "--connect", uri(), "--election", "exit-code");
    assertThat(line.exitCode()).isZero();
    assertThat(line.out()).as("the candidate left the line").isEmpty();
  }

  @Test
  void requeueRunsTheCommandAgainInANewTerm() throws Exception {
    Path runs = tmp.resolve("runs.txt");
    start("requeue", "campaign", "--connect", uri(), "--election", "requeue", "--id", "again", "--requeue", "--",
        "sh", "-c", "echo \"$ELECTOR_TOKEN\" >> '" + runs + "'");
    await().atMost(PATIENCE).until(() -> Files.exists(runs) && Files.readAllLines(runs).size() >= 3);
    List<Long> tokens = Files.readAllLines(runs).stream().map(String::trim).map(Long::parseLong).toList();
    for (int i = 1; i < tokens.size(); i++) {
      assertThat(tokens.get(i)).as("each run is a new term").isGreaterThan(tokens.get(i - 1));
    }
  }
}
