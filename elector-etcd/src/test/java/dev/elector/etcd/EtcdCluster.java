package dev.elector.etcd;

import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real etcd servers for tests: Debian's {@code etcd} binary (3.4), started on free loopback ports with a temporary
 * data directory, one or three members; stopped and deleted by {@link #close()}. The binary's path can be set with
 * the environment variable {@value #BIN_ENV}.
 */
final class EtcdCluster implements AutoCloseable {
  static final String BIN_ENV = "ELECTOR_ETCD_BIN";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":\"(\\d+)\"");
  private static final Pattern LEADER = Pattern.compile("\"leader\":\"(\\d+)\"");

  private final Path bin;
  private final Path dir;
  private final List<Member> members = new ArrayList<>();

  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final int metricsPort;
    final Path dataDir;
    final Path log;
    Process process;

    Member(String name, int clientPort, int peerPort, Path dataDir, Path log) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.metricsPort = FreePorts.pick();
      this.dataDir = dataDir;
      this.log = log;
    }
  }

  /** Server TLS files (PEM): clients must use https and present a certificate signed by {@code ca}. */
  record Tls(Path ca, Path cert, Path key) {}

  private final Tls tls;
  /** The proxies on the peer URLs, when members can be isolated; null otherwise. */
  private PeerNet peerNet;

  private EtcdCluster(Path bin, Path dir, Tls tls) {
    this.bin = bin;
    this.dir = dir;
    this.tls = tls;
  }

  /**
   * Starts a cluster of {@code size} members whose peer traffic goes through {@link PeerNet}, so that one member can
   * be cut off from the others while its clients stay connected ({@link #isolate}, {@link #rejoin}).
   */
  static EtcdCluster startIsolatable(int size) {
    return start(size, null, true);
  }

  /** Starts a cluster of {@code size} members and waits until every member is healthy. */
  static EtcdCluster start(int size) {
    return start(size, null);
  }

  /** Starts a cluster whose client port speaks TLS with client-certificate authentication (if {@code tls}). */
  static EtcdCluster start(int size, Tls tls) {
    return start(size, tls, false);
  }

  private static EtcdCluster start(int size, Tls tls, boolean isolatable) {
    String configured = System.getenv(BIN_ENV);
    Path bin = Path.of(configured == null || configured.isBlank() ? "/usr/bin/etcd" : configured);
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException("no etcd binary at " + bin + " (set " + BIN_ENV + " to its path, or "
          + "install it: apt-get install -y etcd-server)");
    }
    // A free port can be taken by another process between our probe and etcd's bind: try again with new ports.
    for (int attempt = 1; ; attempt++) {
      try {
        return tryStart(bin, size, tls, isolatable);
      } catch (IllegalStateException e) {
        if (attempt >= 3 || !String.valueOf(e.getMessage()).contains("address already in use")) {
          throw e;
        }
      }
    }
  }

  private static EtcdCluster tryStart(Path bin, int size, Tls tls, boolean isolatable) {
    Path dir;
    try {
      dir = Files.createTempDirectory(dataRoot(), "elector-etcd-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EtcdCluster c = new EtcdCluster(bin, dir, tls);
    try {
      if (isolatable) {
        c.peerNet = new PeerNet(size);
      }
      for (int i = 0; i < size; i++) {
        c.members.add(new Member("m" + i, FreePorts.pick(), FreePorts.pick(), dir.resolve("m" + i), dir.resolve("m" + i + ".log")));
      }
      for (int i = 0; i < size; i++) {
        c.launch(i);
      }
      for (int i = 0; i < size; i++) {
        c.awaitHealthy(i);
      }
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Where data directories go: {@code ELECTOR_ETCD_DATA_DIR} if set, else tmpfs ({@code /dev/shm}) when there is one,
   * so that etcd's fsyncs do not make the suite slow and jittery on a busy shared disk, else the temp directory.
   */
  private static Path dataRoot() {
    String configured = System.getenv("ELECTOR_ETCD_DATA_DIR");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }


  private void launch(int i) {
    Member m = members.get(i);
    String initialCluster = members.stream()
        .map(x -> x.name + "=http://127.0.0.1:" + advertisedPeerPort(members.indexOf(x)))
        .collect(Collectors.joining(","));
    String scheme = tls == null ? "http" : "https";
    List<String> cmd = new ArrayList<>(List.of(bin.toString(),
        "--name", m.name,
        "--data-dir", m.dataDir.toString(),
        "--listen-client-urls", scheme + "://127.0.0.1:" + m.clientPort,
        "--advertise-client-urls", scheme + "://127.0.0.1:" + m.clientPort,
        // Health is checked on the plain-HTTP metrics port, whatever the client port speaks.
        "--listen-metrics-urls", "http://127.0.0.1:" + m.metricsPort,
        "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + advertisedPeerPort(i),
        "--initial-cluster", initialCluster,
        "--initial-cluster-state", "new",
        "--initial-cluster-token", "elector-" + dir.getFileName(),
        "--logger", "zap",
        "--log-level", "warn"));
    if (tls != null) {
      cmd.addAll(List.of("--cert-file", tls.cert().toString(), "--key-file", tls.key().toString(),
          "--trusted-ca-file", tls.ca().toString(), "--client-cert-auth"));
    }
    try {
      m.process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + bin, e);
    }
    if (peerNet != null) {
      peerNet.member(i, m.peerPort, m.process);
    }
  }

  /** The peer port member {@code i} is known by: its proxy's, when members can be isolated. */
  private int advertisedPeerPort(int i) {
    return peerNet != null ? peerNet.advertisedPort(i) : members.get(i).peerPort;
  }

  /**
   * Cuts member {@code i} off from the other members, both ways, connections kept open; its clients stay connected
   * to it. Only for a cluster from {@link #startIsolatable}.
   */
  void isolate(int i) {
    if (peerNet == null) {
      throw new IllegalStateException("isolate: this cluster was not started with startIsolatable");
    }
    peerNet.isolate(i);
  }

  /** Ends {@link #isolate}; returns once every running member reports healthy (a quorum with a Raft leader). */
  void rejoin(int i) {
    peerNet.rejoin(i);
    for (int m = 0; m < members.size(); m++) {
      if (alive(m)) {
        awaitHealthy(m);
      }
    }
  }

  private void awaitHealthy(int i) {
    Member m = members.get(i);
    long end = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() - end < 0) {
      if (!m.process.isAlive()) {
        throw new IllegalStateException("etcd member " + m.name + " exited with " + m.process.exitValue()
            + ":\n" + tail(m.log));
      }
      if (healthy(m)) {
        return;
      }
      sleep(50);
    }
    throw new IllegalStateException("etcd member " + m.name + " not healthy within " + START_TIMEOUT + ":\n"
        + tail(m.log));
  }

  private boolean healthy(Member m) {
    try {
      return http("GET", m.metricsPort, "/health").contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    }
  }

  /** The value of the unlabelled counter or gauge {@code name} on member {@code i}'s metrics port. */
  long metric(int i, String name) throws IOException {
    for (String line : http("GET", members.get(i).metricsPort, "/metrics").split("\n")) {
      if (line.startsWith(name + " ")) {
        // Prometheus prints numbers as floats ("1234" or "1.234e+06").
        return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new IOException("etcd metric " + name + " not found on member " + i);
  }

  /** A small HTTP call to a member's client port (etcd's JSON gateway); java.base only, so no module to read. */
  private static String http(String method, int port, String path) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
        .openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(2000);
    c.setRequestMethod(method);
    if (method.equals("POST")) {
      c.setDoOutput(true);
      c.getOutputStream().write("{}".getBytes(StandardCharsets.UTF_8));
    }
    try (var in = c.getInputStream()) {
      return c.getResponseCode() == 200 ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : "";
    } finally {
      c.disconnect();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  int size() {
    return members.size();
  }

  /** The client endpoint of member {@code i}: {@code 127.0.0.1:port}. */
  String endpoint(int i) {
    return "127.0.0.1:" + members.get(i).clientPort;
  }

  /** All members' client endpoints. */
  List<String> endpoints() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      out.add(endpoint(i));
    }
    return out;
  }

  /** Kills member {@code i} at once (SIGKILL), as a crash does, and waits until it is gone. */
  void kill(int i) {
    Member m = members.get(i);
    if (m.process != null && m.process.isAlive()) {
      m.process.destroyForcibly();
      waitFor(m);
    }
  }

  /** Starts member {@code i} again on the same ports and data directory, and waits until it is healthy. */
  void restart(int i) {
    kill(i);
    launch(i);
    awaitHealthy(i);
  }

  /** Stops every member and starts them all again on the same ports and data, as a whole-service restart. */
  void restartAll() {
    for (int i = 0; i < members.size(); i++) {
      kill(i);
    }
    for (int i = 0; i < members.size(); i++) {
      launch(i);
    }
    for (int i = 0; i < members.size(); i++) {
      awaitHealthy(i);
    }
  }

  boolean alive(int i) {
    Process p = members.get(i).process;
    return p != null && p.isAlive();
  }

  /** The index of the member that leads the Raft group now, as its peers report it. */
  OptionalInt leader() {
    List<String> ids = new ArrayList<>();
    String leader = null;
    for (Member m : members) {
      String id = null;
      if (m.process != null && m.process.isAlive()) {
        try {
          String body = http("POST", m.clientPort, "/v3/maintenance/status");
          Matcher mi = MEMBER_ID.matcher(body);
          Matcher ml = LEADER.matcher(body);
          if (mi.find() && ml.find()) {
            id = mi.group(1);
            leader = ml.group(1);
          }
        } catch (IOException e) {
          // A member that does not answer leads nothing.
        }
      }
      ids.add(id);
    }
    return leader == null ? OptionalInt.empty() : OptionalInt.of(ids.indexOf(leader));
  }

  private static void waitFor(Member m) {
    try {
      if (!m.process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("etcd member " + m.name + " did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (peerNet != null) {
      peerNet.close();
    }
    for (Member m : members) {
      if (m.process != null && m.process.isAlive()) {
        m.process.destroyForcibly();
      }
    }
    for (Member m : members) {
      if (m.process != null) {
        try {
          m.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: the temp directory is cleaned by the OS otherwise.
    }
  }

  @Override
  public String toString() {
    return "etcd" + endpoints() + " in " + dir;
  }

  /** A random name, for elections and roots. */
  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
