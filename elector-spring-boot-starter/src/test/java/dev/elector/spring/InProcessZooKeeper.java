package dev.elector.spring;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/** A real standalone ZooKeeper server in this JVM on a free 127.0.0.1 port; {@link #close()} deletes its data. */
final class InProcessZooKeeper implements AutoCloseable {
  private static final int TICK_MILLIS = 200;

  private final Path dir;
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;

  InProcessZooKeeper() throws IOException, InterruptedException {
    System.setProperty("zookeeper.forceSync", "no"); // a test machine's fsync would only slow every write
    dir = Files.createTempDirectory("elector-spring-zk-");
    server = new ZooKeeperServer(dir.toFile(), dir.toFile(), TICK_MILLIS);
    server.setMinSessionTimeout(2 * TICK_MILLIS);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
    factory.startup(server);
  }

  /** A URI for {@code elector.connect} with its data under {@code root}. */
  String uri(String root) {
    return "zookeeper://127.0.0.1:" + factory.getLocalPort() + root + "?sessionTimeout=4s";
  }

  @Override
  public void close() throws IOException {
    factory.shutdown();
    server.shutdown();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
