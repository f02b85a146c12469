package dev.elector.bench;

import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real etcd process (Debian's {@code /usr/bin/etcd}, or {@code ELECTOR_ETCD_BIN}) on free loopback ports with a
 * temp data dir; stopped and deleted on close (and by a shutdown hook if the run is interrupted).
 */
final class EtcdServer implements AutoCloseable {
  private final ChildProcess child;
  private final int clientPort;

  EtcdServer(Duration startTimeout) {
    String bin = System.getenv().getOrDefault("ELECTOR_ETCD_BIN", "/usr/bin/etcd");
    if (!Files.isExecutable(Path.of(bin))) {
      throw new IllegalStateException(
          "etcd binary not found or not executable: " + bin + " (install the etcd package or set ELECTOR_ETCD_BIN)");
    }
    try {
      Path dir = Files.createTempDirectory("elector-bench-etcd");
      clientPort = FreePorts.pick();
      int peerPort = FreePorts.pick();
      String client = "http://127.0.0.1:" + clientPort;
      String peer = "http://127.0.0.1:" + peerPort;
      child = new ChildProcess(dir, "etcd.log", List.of(
          bin,
          "--name", "bench",
          "--data-dir", dir.resolve("data").toString(),
          "--listen-client-urls", client,
          "--advertise-client-urls", client,
          "--listen-peer-urls", peer,
          "--initial-advertise-peer-urls", peer,
          "--initial-cluster", "bench=" + peer,
          "--initial-cluster-state", "new",
          "--log-outputs", "stderr",
          "--logger", "zap",
          "--log-level", "error"));
      awaitPort(startTimeout);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start etcd from " + bin, e);
    }
  }

  String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  int port() {
    return clientPort;
  }

  private void awaitPort(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      child.checkAlive("etcd");
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        return;
      } catch (IOException notYet) {
        ChildProcess.sleep(50);
      }
    }
    child.stop();
    throw new IOException("etcd did not listen on " + endpoint() + " within " + timeout + ": " + child.tailLog());
  }

  long pid() {
    return child.pid();
  }

  @Override
  public void close() {
    child.close();
  }
}
