package dev.elector.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A real, standalone ZooKeeper server inside this JVM, listening on loopback only, with its data in a temp
 * directory that {@link #close()} deletes.
 *
 * <p>Built from {@link ZooKeeperServer} and {@link ServerCnxnFactory} rather than {@code ZooKeeperServerEmbedded}:
 * the latter writes a {@code zookeeper.configuration*.properties} file into {@code java.io.tmpdir} at every start
 * and starts the Jetty admin server, neither of which a throwaway demo server needs.
 */
final class EmbeddedZooKeeper implements AutoCloseable {
  private final Path dataDir;
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedZooKeeper(Path dataDir, ZooKeeperServer server, ServerCnxnFactory factory) {
    this.dataDir = dataDir;
    this.server = server;
    this.factory = factory;
  }

  /**
   * Starts a server on {@code 127.0.0.1:port} ({@code 0} picks a free port). Sessions may last from 2 to 20 ticks.
   *
   * @throws Failure if the port is taken or the server does not start
   */
  static EmbeddedZooKeeper start(int port, Duration tickTime) {
    Path dir;
    try {
      dir = Files.createTempDirectory("elector-zookeeper-");
    } catch (IOException e) {
      throw new Failure(Main.EXIT_FAILURE, "cannot create a temp directory for ZooKeeper: " + e.getMessage(), e);
    }
    ZooKeeperServer server = null;
    ServerCnxnFactory factory = null;
    try {
      File data = dir.toFile();
      server = new ZooKeeperServer(data, data, Math.toIntExact(tickTime.toMillis()));
      factory = ServerCnxnFactory.createFactory(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
      factory.startup(server);
      return new EmbeddedZooKeeper(dir, server, factory);
    } catch (IOException | RuntimeException | LinkageError e) {
      shutdown(factory, server);
      deleteTree(dir);
      String why = e instanceof java.net.BindException ? "port " + port + " is already in use" : String.valueOf(e);
      throw new Failure(Main.EXIT_FAILURE, "cannot start the embedded ZooKeeper server: " + why, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdown(factory, server);
      deleteTree(dir);
      throw new Failure(Main.EXIT_FAILURE, "interrupted while starting the embedded ZooKeeper server", e);
    }
  }

  int port() {
    return factory.getLocalPort();
  }

  /** {@code 127.0.0.1:port}. */
  String hostPort() {
    return "127.0.0.1:" + port();
  }

  /** The data directory, deleted by {@link #close()}. */
  Path dataDir() {
    return dataDir;
  }

  /** Ends a client session from the server side, as if it had timed out: its ephemeral tickets go at once. */
  void expireSession(long sessionId) {
    server.expire(sessionId);
  }

  /** Stops the server and deletes its data. Idempotent, so a shutdown hook may call it too. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shutdown(factory, server);
    deleteTree(dataDir);
  }

  private static void shutdown(ServerCnxnFactory factory, ZooKeeperServer server) {
    if (factory != null) {
      factory.shutdown();
    }
    if (server != null && server.isRunning()) {
      server.shutdown();
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("elector: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
