package dev.elector.postgres;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 15 server for tests (Debian's {@code postgresql} package, or {@code ELECTOR_PG_BIN} naming its
 * {@code bin} directory): {@code initdb} into a temp dir and {@code postgres} on a free loopback port; stopped and
 * its files deleted on close. PostgreSQL refuses to run as root, so when the tests run as root both run as
 * {@code nobody} through {@code setpriv}, the data dir handed to that user (the approach of the benchmarks'
 * {@code PgServer}, adapted: restartable on the same port and data). Trust authentication on loopback.
 */
final class PgTestServer implements AutoCloseable {
  static final String USER = "postgres";
  private static final Path BIN =
      Path.of(System.getenv().getOrDefault("ELECTOR_PG_BIN", "/usr/lib/postgresql/15/bin"));
  private final Path dir;
  private final Path data;
  private final boolean root = "root".equals(System.getProperty("user.name"));
  private final int port;
  private Process process;

  PgTestServer() throws IOException {
    if (!Files.isExecutable(BIN.resolve("postgres"))) {
      throw new IllegalStateException("PostgreSQL not found in " + BIN
          + " (install Debian's postgresql package or set ELECTOR_PG_BIN to its bin directory)");
    }
    dir = Files.createTempDirectory("elector-pg-test");
    data = dir.resolve("data");
    if (root) {
      run(List.of("chown", "nobody:nogroup", dir.toString()));
    }
    run(asUser(List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--auth=trust",
        "-E", "UTF8", "--no-sync", "--no-instructions")));
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    start();
  }

  /** Starts the server on its port and data dir and waits until it accepts a query. */
  synchronized void start() throws IOException {
    ProcessBuilder pb = new ProcessBuilder(asUser(List.of(BIN.resolve("postgres").toString(), "-D", data.toString(),
        "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
        "-c", "max_connections=400", "-c", "fsync=off")));
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() - deadline < 0) {
      if (!process.isAlive()) {
        throw new IOException("postgres exited with " + process.exitValue() + ": " + tailLog());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        try (Connection c = admin()) {
          return;
        } catch (SQLException starting) {
          sleep(50); // "the database system is starting up"
        }
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IOException("postgres did not accept connections on " + endpoint() + " within 60 s: " + tailLog());
  }

  /** Stops the server (fast shutdown: open sessions are cut), keeping its data. */
  synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      // SIGINT: PostgreSQL's "fast" shutdown (SIGTERM's "smart" one would wait for every client to leave).
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }

  String endpoint() {
    return "127.0.0.1:" + port;
  }

  /** A superuser connection straight to the server (no proxy). */
  Connection admin() throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + endpoint() + "/postgres?user=" + USER);
  }

  private String tailLog() {
    try {
      String text = Files.readString(dir.resolve("postgres.log"));
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private List<String> asUser(List<String> command) {
    if (!root) {
      return command;
    }
    List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    c.addAll(command);
    return c;
  }

  private static void run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed: " + new String(out));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
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

  @Override
  public void close() throws IOException {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
