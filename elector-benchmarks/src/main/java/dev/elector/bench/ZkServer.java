package dev.elector.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.server.Request;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.watch.WatchManagerFactory;

/**
 * A real single ZooKeeper server in this JVM, on a free loopback port, with its data in a temp dir. Only the herd
 * scenario uses it, for the server-side counts it allows: watch notifications per receiving session
 * ({@link WatchCounter}) and read requests served ({@link #READS}). Latency scenarios use a server in a JVM of its own
 * ({@link ZkProcess}), so it shares no CPU, heap or GC with the clients.
 */
final class ZkServer implements AutoCloseable {
  /**
   * Session expiry is checked in buckets of one tick, so failover can overshoot the session timeout by a tick; a
   * short tick keeps that overshoot out of the failover figure (the minimum session is two ticks).
   */
  static final int TICK_MS = 100;

  private final Path dir;
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;
  /** Deletes the data dir if the run is interrupted. */
  private final Thread hook;

  ZkServer() {
    try {
      dir = Files.createTempDirectory("elector-bench-zk");
      // Counts watch notifications per receiving session for the herd scenario; must be set before the DataTree.
      System.setProperty(WatchManagerFactory.ZOOKEEPER_WATCH_MANAGER_NAME, WatchCounter.class.getName());
      server = new ZooKeeperServer(dir.resolve("snap").toFile(), dir.resolve("log").toFile(), TICK_MS) {
        @Override
        public void submitRequestNow(Request si) {
          if (isRead(si.type)) {
            READS.increment();
          }
          super.submitRequestNow(si);
        }
      };
      server.setMinSessionTimeout(2 * TICK_MS);
      server.setMaxSessionTimeout(120_000);
      // 0 = no per-address connection limit: the scale scenario opens many sessions from 127.0.0.1.
      factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 0);
      factory.startup(server);
      WatchCounter.connections = factory;
      hook = new Thread(() -> Files2.deleteTree(dir), "zk-dir-cleaner");
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-process ZooKeeper server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting ZooKeeper", e);
    }
  }

  /** Read requests (getData, exists, getChildren, multiRead, …) the server has been sent, every session's. */
  static final LongAdder READS = new LongAdder();

  static boolean isRead(int op) {
    return op == ZooDefs.OpCode.getData || op == ZooDefs.OpCode.exists || op == ZooDefs.OpCode.getChildren
        || op == ZooDefs.OpCode.getChildren2 || op == ZooDefs.OpCode.multiRead
        || op == ZooDefs.OpCode.getAllChildrenNumber;
  }

  /** {@code 127.0.0.1:port}. */
  String endpoint() {
    return "127.0.0.1:" + factory.getLocalPort();
  }

  /**
   * Waits until the server has no request in flight, at most {@code timeout}: a closed client's queued requests
   * (thousands of line reads after a capped scale phase) are still served and would slow the next phase.
   */
  void awaitIdle(java.time.Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    int quiet = 0;
    while (quiet < 5 && System.nanoTime() - end < 0) {
      quiet = server.getInflight() == 0 && server.serverStats().getOutstandingRequests() == 0 ? quiet + 1 : 0;
      Thread.sleep(20);
    }
  }

  int port() {
    return factory.getLocalPort();
  }

  @Override
  public void close() {
    WatchCounter.connections = null;
    factory.shutdown();
    server.shutdown();
    Files2.deleteTree(dir);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or has run.
    }
  }
}
