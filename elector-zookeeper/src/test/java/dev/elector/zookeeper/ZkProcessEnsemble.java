package dev.elector.zookeeper;

import dev.elector.faultproxy.FaultProxy;
import dev.elector.testservers.FakeClock;
import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real ZooKeeper ensemble whose members are child JVMs ({@code QuorumPeerMain}, this test's class path) on free
 * loopback ports, with their data in a temporary directory that {@link #close()} deletes. Members are killed with
 * SIGKILL ({@link Process#destroyForcibly()}) and started again with their data.
 *
 * <p>Every peer link goes through a {@link FaultProxy}: member {@code i}'s config lists every other member {@code j}
 * at the addresses of proxies that forward to {@code j}'s quorum and election ports (one pair of proxies per ordered
 * pair of members), so {@link #isolate(int)} can cut all peer traffic of one member while its clients stay connected
 * to it. A follower reaches the leader's quorum port through the address in its own config. Election connections go
 * through an {@link ElectionAddressRelay} in front of the election proxy, which makes the address a member announces
 * in the election handshake the reverse link's relay: without it, a member connects back to the real port of a
 * member with a lower id, around the proxies, and an isolated member goes on winning elections the others cannot
 * follow.
 */
final class ZkProcessEnsemble implements AutoCloseable {
  private static final Duration START_WAIT = Duration.ofSeconds(60);

  /** Per-member server settings. */
  record Settings(int tickMillis, int syncLimit, int minSessionMillis, int maxSessionMillis) {
    static Settings of(int tickMillis, int syncLimit) {
      return new Settings(tickMillis, syncLimit, 2 * tickMillis, 20 * tickMillis);
    }
  }

  private final Path dir;
  private final Settings[] settings;
  private final int[] clientPorts;
  private final Process[] processes;
  /** proxies[i][j]: member i's links to member j (quorum, election); null on the diagonal. */
  private final FaultProxy[][][] proxies;
  /** relays[i][j]: member i's election link to member j, in front of proxies[i][j][1]; null on the diagonal. */
  private final ElectionAddressRelay[][] relays;
  /** Kills the members if the test JVM exits without {@link #close()} (a run stopped midway, a surefire timeout). */
  private final Thread killer = new Thread(this::killAll, "zk-process-ensemble-killer");
  /** Extra environment of the members' JVMs (a {@link FakeClock}); empty by default. */
  private final Map<String, String> memberEnv;

  private ZkProcessEnsemble(Path dir, Settings[] settings, Map<String, String> memberEnv) throws IOException {
    this.dir = dir;
    this.settings = settings;
    this.memberEnv = memberEnv;
    int n = settings.length;
    clientPorts = new int[n];
    processes = new Process[n];
    proxies = new FaultProxy[n][n][];
    relays = new ElectionAddressRelay[n][n];
    int[] ports = FreePorts.pick(3 * n);
    for (int i = 0; i < n; i++) {
      clientPorts[i] = ports[3 * i];
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i != j) {
          proxies[i][j] = new FaultProxy[] {FaultProxy.start("127.0.0.1", ports[3 * j + 1]),
              FaultProxy.start("127.0.0.1", ports[3 * j + 2])};
          relays[i][j] = ElectionAddressRelay.start(proxies[i][j][1].port());
        }
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i != j) {
          relays[i][j].announce(relays[j][i].port()); // j connects back to i through j's own link to i
        }
      }
    }
    for (int i = 0; i < n; i++) {
      Settings s = settings[i];
      Path data = Files.createDirectories(dir.resolve("member-" + (i + 1)));
      Files.writeString(data.resolve("myid"), Integer.toString(i + 1), StandardCharsets.US_ASCII);
      List<String> lines = new ArrayList<>(List.of(
          "tickTime=" + s.tickMillis(),
          "initLimit=" + Math.max(10, s.syncLimit()),
          "syncLimit=" + s.syncLimit(),
          "dataDir=" + data,
          "clientPort=" + clientPorts[i],
          "clientPortAddress=127.0.0.1",
          "minSessionTimeout=" + s.minSessionMillis(),
          "maxSessionTimeout=" + s.maxSessionMillis(),
          "admin.enableServer=false",
          "standaloneEnabled=false",
          "4lw.commands.whitelist=srvr",
          "maxClientCnxns=0"));
      for (int j = 0; j < n; j++) {
        int quorum = i == j ? ports[3 * j + 1] : proxies[i][j][0].port();
        int election = i == j ? ports[3 * j + 2] : relays[i][j].port();
        lines.add("server." + (j + 1) + "=127.0.0.1:" + quorum + ":" + election);
      }
      Files.writeString(dir.resolve("zoo-" + (i + 1) + ".cfg"), String.join("\n", lines) + "\n");
    }
  }

  /** Starts {@code size} members with the same settings and waits until all serve with a leader. */
  static ZkProcessEnsemble start(int size, Settings settings) throws Exception {
    Settings[] all = new Settings[size];
    java.util.Arrays.fill(all, settings);
    return start(all);
  }

  /**
   * Starts one member per entry of {@code settings} and waits until all serve with a leader. A member that could
   * not bind its port (taken by another process between {@link FreePorts#pick} and the member's start: the ports
   * are free when chosen, not reserved) is not a fault of the code under test: the ensemble starts again on new
   * ports, at most {@link #BIND_ATTEMPTS} times in all.
   */
  static ZkProcessEnsemble start(Settings... settings) throws Exception {
    return start(Map.of(), settings);
  }

  /** Like {@link #start(Settings...)}, with every member's clock at {@code rate} times this host's ({@link FakeClock}). */
  static ZkProcessEnsemble startWithClockRate(double rate, Settings... settings) throws Exception {
    return start(FakeClock.env(rate), settings);
  }

  private static ZkProcessEnsemble start(Map<String, String> memberEnv, Settings... settings) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(memberEnv, settings);
      } catch (IllegalStateException e) {
        if (attempt >= BIND_ATTEMPTS || e.getMessage() == null
            || !e.getMessage().contains("java.net.BindException")) {
          throw e;
        }
        System.out.println("ZkProcessEnsemble: a member's port was taken before it bound it; starting again on new"
            + " ports (attempt " + (attempt + 1) + " of " + BIND_ATTEMPTS + ")");
      }
    }
  }

  private static final int BIND_ATTEMPTS = 3;

  private static ZkProcessEnsemble startOnce(Map<String, String> memberEnv, Settings... settings) throws Exception {
    ZkProcessEnsemble e = new ZkProcessEnsemble(Files.createTempDirectory("elector-zk-processes-"), settings,
        memberEnv);
    Runtime.getRuntime().addShutdownHook(e.killer);
    try {
      for (int i = 0; i < settings.length; i++) {
        e.startMember(i);
      }
      e.awaitQuorum(settings.length);
      return e;
    } catch (Exception | Error t) {
      e.close();
      throw t;
    }
  }

  int size() {
    return processes.length;
  }

  List<String> endpoints() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < processes.length; i++) {
      out.add(endpoint(i));
    }
    return out;
  }

  String endpoint(int i) {
    return "127.0.0.1:" + clientPorts[i];
  }

  /** Starts member {@code i}'s JVM (if it is not running) with its config and data. */
  synchronized void startMember(int i) throws IOException {
    if (processes[i] != null && processes[i].isAlive()) {
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Xshare:auto", "-Dzookeeper.forceSync=no", "-Dzookeeper.admin.enableServer=false",
        // A peer link cut by a proxy accepts connections and never answers: with the default 5 s connect timeout
        // and notification back-off up to 60 s, the two members left took 10-30 s to elect a new leader.
        "-Dzookeeper.cnxTimeout=500", "-Dzookeeper.fastleader.maxNotificationInterval=1000",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-cp", System.getProperty("java.class.path"), "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        dir.resolve("zoo-" + (i + 1) + ".cfg").toString());
    pb.environment().putAll(memberEnv);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("member-" + (i + 1) + ".log").toFile()));
    processes[i] = pb.start();
  }

  /** SIGKILL: the member gets no chance to close sessions or connections. Waits until the process is gone. */
  synchronized void killMember(int i) throws InterruptedException {
    Process p = processes[i];
    processes[i] = null;
    if (p != null) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      if (!memberEnv.isEmpty()) {
        FakeClock.deleteState(p.pid());
      }
    }
  }

  /** Cuts every peer link of member {@code i}, both ways; its client port stays open. */
  void isolate(int i) {
    forLinksOf(i, FaultProxy::partition);
  }

  /** Ends {@link #isolate(int)}: drops the links' stale connections (peers reconnect) and forwards again. */
  void rejoin(int i) {
    forLinksOf(i, p -> {
      p.dropConnections();
      p.heal();
    });
  }

  private void forLinksOf(int i, java.util.function.Consumer<FaultProxy> action) {
    for (int a = 0; a < proxies.length; a++) {
      for (int b = 0; b < proxies.length; b++) {
        if (a != b && (a == i || b == i)) {
          for (FaultProxy p : proxies[a][b]) {
            action.accept(p);
          }
        }
      }
    }
  }

  /** The member whose {@code srvr} says it leads, if one does now. */
  OptionalInt leaderMember() {
    for (int i = 0; i < processes.length; i++) {
      if (mode(i).equals("leader")) {
        return OptionalInt.of(i);
      }
    }
    return OptionalInt.empty();
  }

  /** Member {@code i}'s mode by its own {@code srvr} report ("leader", "follower"), or "" if it does not serve. */
  String mode(int i) {
    String srvr = fourLetter(endpoint(i), "srvr");
    for (String line : srvr.split("\n")) {
      if (line.startsWith("Mode: ")) {
        return line.substring("Mode: ".length()).trim();
      }
    }
    return "";
  }

  /** Waits until {@code expected} members serve, one of them leading; fails with the members' logs otherwise. */
  void awaitQuorum(int expected) throws InterruptedException, IOException {
    long end = System.nanoTime() + START_WAIT.toNanos();
    while (true) {
      int serving = 0;
      boolean leader = false;
      for (int i = 0; i < processes.length; i++) {
        Process p = processes[i];
        if (p == null) {
          continue;
        }
        if (!p.isAlive()) {
          throw new IllegalStateException("ZooKeeper member " + (i + 1) + " exited: " + tail(i));
        }
        String mode = mode(i);
        if (!mode.isEmpty()) {
          serving++;
          leader |= mode.equals("leader");
        }
      }
      if (serving >= expected && leader) {
        return;
      }
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("ZooKeeper ensemble: only " + serving + " of " + expected
            + " members serving after " + START_WAIT + logTails());
      }
      Thread.sleep(50);
    }
  }

  /** Code run by {@link #withMemberLogs}. */
  interface Scenario {
    void run() throws Exception;
  }

  /**
   * Runs {@code scenario}; if it fails, the failure carries the end of every member's log, taken before the
   * ensemble is stopped and deleted.
   */
  void withMemberLogs(Scenario scenario) throws Exception {
    try {
      scenario.run();
    } catch (AssertionError | Exception e) {
      e.addSuppressed(new AssertionError("ZooKeeper members' logs:" + logTails()));
      throw e;
    }
  }

  /** The end of every member's log, each under a "--- member N (mode)" line: what a failed scenario reports. */
  String logTails() {
    StringBuilder logs = new StringBuilder();
    for (int i = 0; i < processes.length; i++) {
      String mode = processes[i] == null ? "stopped" : mode(i);
      logs.append("\n--- member ").append(i + 1).append(" (").append(mode.isEmpty() ? "not serving" : mode)
          .append("): ").append(tail(i));
    }
    return logs.toString();
  }

  private String tail(int i) {
    try {
      String text = Files.readString(dir.resolve("member-" + (i + 1) + ".log"));
      return text.length() > 3000 ? text.substring(text.length() - 3000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static String fourLetter(String endpoint, String command) {
    int colon = endpoint.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))),
          1000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  private void killAll() {
    for (int i = 0; i < processes.length; i++) {
      try {
        killMember(i);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() throws IOException {
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNotAdded) {
      // The hook is running now, or start() failed before adding it.
    }
    for (ElectionAddressRelay[] row : relays) {
      for (ElectionAddressRelay r : row) {
        if (r != null) {
          r.close();
        }
      }
    }
    for (FaultProxy[][] row : proxies) {
      for (FaultProxy[] pair : row) {
        if (pair != null) {
          for (FaultProxy p : pair) {
            if (p != null) {
              p.close();
            }
          }
        }
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
