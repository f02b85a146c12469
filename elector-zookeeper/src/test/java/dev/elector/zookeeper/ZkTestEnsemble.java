package dev.elector.zookeeper;

import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * A real three-member ZooKeeper ensemble in this JVM on loopback ports, with its data in a temporary directory that
 * {@link #close()} deletes. Members can be stopped and started again with their data, the leader included.
 */
final class ZkTestEnsemble implements AutoCloseable {
  static final int TICK_MILLIS = 200;
  private static final Duration QUORUM_WAIT = Duration.ofSeconds(30);

  private final Path dir;
  private final int[] clientPorts;
  private final Properties[] configs;
  private final Member[] members;

  /** Exposes the running peer, which {@link QuorumPeerMain} keeps in a protected field. */
  private static final class Member extends QuorumPeerMain {
    volatile Thread thread;

    QuorumPeer peer() {
      return quorumPeer;
    }
  }

  private ZkTestEnsemble(Path dir, int size) throws IOException {
    this.dir = dir;
    clientPorts = new int[size];
    configs = new Properties[size];
    members = new Member[size];
    int[] ports = FreePorts.pick(3 * size);
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < size; i++) {
      clientPorts[i] = ports[3 * i];
    }
    for (int i = 0; i < size; i++) {
      Path data = Files.createDirectories(dir.resolve("member-" + (i + 1)));
      Files.writeString(data.resolve("myid"), Integer.toString(i + 1), StandardCharsets.US_ASCII);
      Properties p = new Properties();
      p.setProperty("tickTime", Integer.toString(TICK_MILLIS));
      p.setProperty("initLimit", "10");
      p.setProperty("syncLimit", "5");
      p.setProperty("dataDir", data.toString());
      p.setProperty("clientPort", Integer.toString(clientPorts[i]));
      p.setProperty("clientPortAddress", "127.0.0.1");
      p.setProperty("minSessionTimeout", Integer.toString(2 * TICK_MILLIS));
      p.setProperty("maxSessionTimeout", "60000");
      p.setProperty("admin.enableServer", "false");
      p.setProperty("standaloneEnabled", "false");
      for (int j = 0; j < size; j++) {
        p.setProperty("server." + (j + 1), "127.0.0.1:" + ports[3 * j + 1] + ":" + ports[3 * j + 2]);
      }
      configs[i] = p;
    }
  }

  static ZkTestEnsemble start(int size) throws Exception {
    // See InProcessZooKeeper: no fsync per write on a shared test machine.
    System.setProperty("zookeeper.forceSync", "no");
    System.setProperty("zookeeper.admin.enableServer", "false");
    ZkTestEnsemble e = new ZkTestEnsemble(Files.createTempDirectory("elector-zk-ensemble-"), size);
    for (int i = 0; i < size; i++) {
      e.startMember(i);
    }
    e.awaitQuorum(size);
    return e;
  }

  int size() {
    return members.length;
  }

  List<String> endpoints() {
    List<String> out = new ArrayList<>();
    for (int p : clientPorts) {
      out.add("127.0.0.1:" + p);
    }
    return out;
  }

  void startMember(int i) throws Exception {
    if (members[i] != null) {
      return;
    }
    QuorumPeerConfig config = new QuorumPeerConfig();
    config.parseProperties(configs[i]);
    Member m = new Member();
    Thread t = new Thread(() -> {
      try {
        m.runFromConfig(config);
      } catch (Exception e) {
        throw new IllegalStateException("ZooKeeper member " + (i + 1) + " failed", e);
      }
    }, "zk-member-" + (i + 1));
    t.setDaemon(true);
    m.thread = t;
    members[i] = m;
    t.start();
  }

  void stopMember(int i) throws InterruptedException {
    Member m = members[i];
    if (m == null) {
      return;
    }
    members[i] = null;
    long end = System.nanoTime() + QUORUM_WAIT.toNanos();
    while (m.peer() == null && System.nanoTime() - end < 0) {
      Thread.sleep(10);
    }
    m.close();
    m.thread.join(QUORUM_WAIT.toMillis());
  }

  /** Waits until {@code expected} members serve, one of them leading. */
  void awaitQuorum(int expected) throws InterruptedException {
    long end = System.nanoTime() + QUORUM_WAIT.toNanos();
    while (true) {
      int serving = 0;
      boolean leader = false;
      for (Member m : members) {
        QuorumPeer p = m == null ? null : m.peer();
        if (p != null && p.getActiveServer() != null && p.getActiveServer().isRunning()) {
          serving++;
          leader |= p.getPeerState() == QuorumPeer.ServerState.LEADING;
        }
      }
      if (serving >= expected && leader) {
        return;
      }
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("ZooKeeper ensemble: only " + serving + " of " + expected
            + " members serving after " + QUORUM_WAIT);
      }
      Thread.sleep(20);
    }
  }

  /** Expires the session on the leader, as if it had timed out, and waits until the leader has forgotten it. */
  void expire(long sessionId) throws InterruptedException {
    ZooKeeperServer leader = leaderServer();
    leader.expire(sessionId);
    long end = System.nanoTime() + QUORUM_WAIT.toNanos();
    while (leader.getSessionTracker().isTrackingSession(sessionId)) {
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("session 0x" + Long.toHexString(sessionId) + " not expired");
      }
      Thread.sleep(10);
    }
  }

  /** The member that leads the ensemble now, if one does. */
  OptionalInt leaderMember() {
    for (int i = 0; i < members.length; i++) {
      QuorumPeer p = members[i] == null ? null : members[i].peer();
      if (p != null && p.getPeerState() == QuorumPeer.ServerState.LEADING) {
        return OptionalInt.of(i);
      }
    }
    return OptionalInt.empty();
  }

  private ZooKeeperServer leaderServer() throws InterruptedException {
    long end = System.nanoTime() + QUORUM_WAIT.toNanos();
    while (System.nanoTime() - end < 0) {
      for (Member m : members) {
        QuorumPeer p = m == null ? null : m.peer();
        if (p != null && p.getPeerState() == QuorumPeer.ServerState.LEADING && p.getActiveServer() != null) {
          return p.getActiveServer();
        }
      }
      Thread.sleep(10);
    }
    throw new IllegalStateException("no ZooKeeper leader within " + QUORUM_WAIT);
  }

  /** Stops every member and starts them again with their data. */
  void restart() throws Exception {
    for (int i = 0; i < members.length; i++) {
      stopMember(i);
    }
    for (int i = 0; i < members.length; i++) {
      startMember(i);
    }
    awaitQuorum(members.length);
  }

  @Override
  public void close() throws IOException {
    for (int i = 0; i < members.length; i++) {
      try {
        stopMember(i);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
