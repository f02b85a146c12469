package dev.elector.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 15 server (Debian's {@code postgresql} package, or {@code ELECTOR_PG_BIN} naming its {@code bin}
 * directory): {@code initdb} into a temp dir and {@code postgres} on a free loopback port, stopped and deleted on
 * close. PostgreSQL refuses to run as root, so when the harness is root both run as {@code nobody} through
 * {@code setpriv}, with the data dir handed to that user. Trust authentication on loopback: a benchmark server with
 * no data worth a password. Everything else is PostgreSQL's default, fsync included, so a commit costs what it costs
 * in production.
 */
final class PgServer implements AutoCloseable {
  static final String USER = "postgres";
  private final ChildProcess child;
  private final int port;

  PgServer(Duration startTimeout) {
    Path bin = Path.of(System.getenv().getOrDefault("ELECTOR_PG_BIN", "/usr/lib/postgresql/15/bin"));
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException("PostgreSQL not found in " + bin
          + " (install Debian's postgresql package or set ELECTOR_PG_BIN to its bin directory)");
    }
    try {
      Path dir = Files.createTempDirectory("elector-bench-pg");
      Path data = dir.resolve("data");
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        run(List.of("chown", "nobody:nogroup", dir.toString()), Duration.ofSeconds(10));
      }
      run(asUser(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
          "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")), Duration.ofSeconds(60));
      port = ChildProcess.freePort();
      child = new ChildProcess(dir, "postgres.log", asUser(root, List.of(bin.resolve("postgres").toString(),
          "-D", data.toString(), "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
          "-c", "unix_socket_directories=" + dir, "-c", "max_connections=400")));
      awaitPort(startTimeout);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start PostgreSQL from " + bin, e);
    }
  }

  private static List<String> asUser(boolean root, List<String> command) {
    if (!root) {
      return command;
    }
    List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    c.addAll(command);
    return c;
  }

  private static void run(List<String> command, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed: " + new String(out));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** {@code host:port}. */
  String endpoint() {
    return "127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** A JDBC URL of the default database through {@code endpoint} (the server itself, or a fault proxy). */
  static String jdbcUrl(String endpoint) {
    return "jdbc:postgresql://" + endpoint + "/postgres?user=" + USER;
  }

  private void awaitPort(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      child.checkAlive("postgres");
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        ChildProcess.sleep(50);
      }
    }
    child.stop();
    throw new IOException("postgres did not listen on " + endpoint() + " within " + timeout + ": " + child.tailLog());
  }

  long pid() {
    return child.pid();
  }

  @Override
  public void close() {
    child.close();
  }
}
