package dev.elector.testservers;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A real standalone ZooKeeper server in this JVM, on a free loopback port, with its data in a temporary directory
 * that {@link #close()} deletes. A short tick lets sessions of a couple of seconds exist and expire on time. Needs
 * {@code org.apache.zookeeper:zookeeper} on the class path (an optional dependency of this module) and, at run time,
 * the two libraries ZooKeeper's server declares {@code provided} ({@code metrics-core}, {@code snappy-java}).
 */
public final class InProcessZooKeeper implements AutoCloseable {
  /** The server's tick: sessions from twice this up to a minute are granted as asked. */
  public static final int TICK_MILLIS = 200;

  private final Path dir;
  private ZooKeeperServer server;
  private ServerCnxnFactory factory;
  private int port;

  private InProcessZooKeeper(Path dir) {
    this.dir = dir;
  }

  /** Starts a server on a free port of 127.0.0.1. */
  public static InProcessZooKeeper start() throws IOException, InterruptedException {
    // No fsync per write: on a shared test machine it costs ~100 ms per transaction and would hide what the client
    // does. Production servers keep it on; the handoff numbers in the report say which setting they used.
    System.setProperty("zookeeper.forceSync", "no");
    InProcessZooKeeper s = new InProcessZooKeeper(Files.createTempDirectory("elector-zk-"));
    s.startServer(0);
    return s;
  }

  private void startServer(int wantPort) throws IOException, InterruptedException {
    File data = dir.toFile();
    server = new ZooKeeperServer(data, data, TICK_MILLIS);
    server.setMinSessionTimeout(2 * TICK_MILLIS);
    server.setMaxSessionTimeout(60_000);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", wantPort), 1000);
    factory.startup(server);
    port = factory.getLocalPort();
  }

  /** {@code 127.0.0.1:port}. */
  public String endpoint() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Expires the session from the server side, as if it timed out, and waits until it is gone. */
  public void expire(long sessionId) throws InterruptedException {
    server.expire(sessionId);
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (server.getSessionTracker().isTrackingSession(sessionId)) {
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("session 0x" + Long.toHexString(sessionId) + " not expired after 10 s");
      }
      Thread.sleep(10);
    }
  }

  /**
   * Sets the child version of the node at {@code path} in the server's data tree, as a snapshot taken after that
   * many child creates and deletes would hold it: the next sequential child is numbered {@code cversion}. Reaching
   * 2^31 by creating children would take days; the server's own code does the rest.
   */
  public void setChildVersion(String path, int cversion) {
    server.getZKDatabase().getDataTree().getNode(path).stat.setCversion(cversion);
  }

  /** True while the server holds the session. */
  public boolean hasSession(long sessionId) {
    return server.getSessionTracker().isTrackingSession(sessionId);
  }

  /** Stops the server and starts it again on the same port with the same data. */
  public void restart() throws IOException, InterruptedException {
    stopServer();
    startServer(port);
  }

  private void stopServer() {
    if (factory != null) {
      factory.shutdown();
      factory = null;
    }
    if (server != null) {
      server.shutdown();
      server = null;
    }
  }

  @Override
  public void close() throws IOException {
    stopServer();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
