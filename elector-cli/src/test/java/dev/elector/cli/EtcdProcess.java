package dev.elector.cli;

import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real etcd server for the CLI's tests: Debian's {@code /usr/bin/etcd} (or {@code ELECTOR_ETCD_BIN}) on free
 * loopback ports with a temporary data directory (on tmpfs when there is one, so fsyncs on a busy shared disk do
 * not stall lease renewals), stopped and deleted by {@link #close()}. (elector-etcd's test cluster is not on
 * this module's test class path; this is the one-member subset the CLI needs.)
 */
final class EtcdProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final int clientPort;
  private final Path dir;

  private EtcdProcess(Process process, int clientPort, Path dir) {
    this.process = process;
    this.clientPort = clientPort;
    this.dir = dir;
  }

  static Path binary() {
    String configured = System.getenv("ELECTOR_ETCD_BIN");
    return Path.of(configured == null || configured.isBlank() ? "/usr/bin/etcd" : configured);
  }

  /** Starts etcd and waits until it accepts connections. */
  static EtcdProcess start() throws IOException, InterruptedException {
    Path bin = binary();
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException("no etcd binary at " + bin + " (set ELECTOR_ETCD_BIN, or apt-get install etcd-server)");
    }
    int client = FreePorts.pick();
    int peer = FreePorts.pick();
    Path shm = Path.of("/dev/shm");
    Path dir = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
        : Path.of(System.getProperty("java.io.tmpdir")), "elector-cli-etcd-");
    Path log = dir.resolve("etcd.log");
    String clientUrl = "http://127.0.0.1:" + client;
    String peerUrl = "http://127.0.0.1:" + peer;
    Process p = new ProcessBuilder(List.of(bin.toString(),
        "--name", "cli-it",
        "--data-dir", dir.resolve("etcd-data").toString(),
        "--listen-client-urls", clientUrl,
        "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl,
        "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", "cli-it=" + peerUrl,
        "--initial-cluster-state", "new",
        "--logger", "zap",
        "--log-level", "warn"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    EtcdProcess etcd = new EtcdProcess(p, client, dir);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!etcd.listening()) {
      if (!p.isAlive() || System.nanoTime() - deadline > 0) {
        etcd.close();
        throw new IllegalStateException("etcd did not start within " + START_TIMEOUT + ":\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    return etcd;
  }

  private boolean listening() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), clientPort), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "etcd on " + endpoint() + " (data in " + dir + ")";
  }
}
