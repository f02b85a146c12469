package dev.elector.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd process (Debian's {@code /usr/bin/etcd}, or {@code ELECTOR_ETCD_BIN}) on free loopback ports with a
 * temp data dir; stopped and deleted on close (and by a shutdown hook if the run is interrupted).
 */
final class EtcdServer implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final int clientPort;
  private final Thread hook;

  EtcdServer(Duration startTimeout) {
    String bin = System.getenv().getOrDefault("ELECTOR_ETCD_BIN", "/usr/bin/etcd");
    if (!Files.isExecutable(Path.of(bin))) {
      throw new IllegalStateException(
          "etcd binary not found or not executable: " + bin + " (install the etcd package or set ELECTOR_ETCD_BIN)");
    }
    try {
      dir = Files.createTempDirectory("elector-bench-etcd");
      clientPort = freePort();
      int peerPort = freePort();
      String client = "http://127.0.0.1:" + clientPort;
      String peer = "http://127.0.0.1:" + peerPort;
      ProcessBuilder pb = new ProcessBuilder(List.of(
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
      pb.redirectErrorStream(true);
      pb.redirectOutput(dir.resolve("etcd.log").toFile());
      process = pb.start();
      hook = new Thread(this::stop, "etcd-stopper");
      Runtime.getRuntime().addShutdownHook(hook);
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
      if (!process.isAlive()) {
        throw new IOException("etcd exited with " + process.exitValue() + ": " + tailLog());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    stop();
    throw new IOException("etcd did not listen on " + endpoint() + " within " + timeout + ": " + tailLog());
  }

  private String tailLog() {
    try {
      String log = Files.readString(dir.resolve("etcd.log"));
      return log.length() > 2000 ? log.substring(log.length() - 2000) : log;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private synchronized void stop() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    Files2.deleteTree(dir);
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // Already running the hook; nothing to remove.
    }
  }
}
