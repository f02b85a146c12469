package dev.elector.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 15 server (Debian's {@code postgresql} package, or {@code ELECTOR_PG_BIN} naming its {@code bin}
 * directory): {@code initdb} into a temporary directory and {@code postgres} on a free loopback port
 * ({@link FreePorts}); stopped and its files deleted on {@link #close()}, and by a shutdown hook if the JVM exits
 * first. PostgreSQL refuses to run as root, so when this JVM runs as root the server runs as {@code nobody} through
 * {@code setpriv}, with the data directory handed to that user. Trust authentication on loopback: a test server with
 * no data worth a password. {@link #stop()} and {@link #start()} restart it on the same port and data.
 */
public final class PostgresServer implements AutoCloseable {
  /** The superuser {@code initdb} creates. */
  public static final String USER = "postgres";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final boolean root = "root".equals(System.getProperty("user.name"));
  private final boolean fsync;
  private final int port;
  /** Extra environment of the server processes (libfaketime for a clock at another rate); empty by default. */
  private final Map<String, String> serverEnv;
  /** Stops the server and deletes its files if the JVM exits before {@link #close()}. */
  private final Thread hook = new Thread(this::stopAndDelete, "postgres-server-stopper");
  private Process process;

  private PostgresServer(Path bin, Path dir, boolean fsync, Map<String, String> serverEnv) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.fsync = fsync;
    this.port = FreePorts.pick();
    this.serverEnv = serverEnv;
  }

  /**
   * Creates a cluster and starts the server; returns once it accepts connections.
   *
   * @param fsync PostgreSQL's {@code fsync}: on for benchmarks (a commit costs what it costs in production), off for
   *     tests on a shared machine
   * @throws IllegalStateException if PostgreSQL is not installed, naming where it was looked for
   * @throws UncheckedIOException if {@code initdb} or the server fails, with the end of its output
   */
  public static PostgresServer start(boolean fsync) {
    return start(fsync, Map.of());
  }

  /**
   * Like {@link #start(boolean)}, but the server's clock runs {@code rate} times as fast as this host's
   * ({@link FakeClock}). What the server judges on its own clock, such as a session row's expiry, then comes that
   * much sooner (or later) than this host's clock says.
   *
   * @param rate the server clock's rate; positive
   * @throws IllegalArgumentException if {@code rate} is not positive
   * @throws IllegalStateException if libfaketime is not installed
   */
  public static PostgresServer startWithClockRate(boolean fsync, double rate) {
    return start(fsync, FakeClock.env(rate));
  }

  private static PostgresServer start(boolean fsync, Map<String, String> serverEnv) {
    Path bin = Path.of(System.getenv().getOrDefault("ELECTOR_PG_BIN", "/usr/lib/postgresql/15/bin"));
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException("PostgreSQL not found in " + bin
          + " (install Debian's postgresql package or set ELECTOR_PG_BIN to its bin directory)");
    }
    if (!Files.isExecutable(bin.resolve("pg_isready"))) {
      throw new IllegalStateException("pg_isready not found in " + bin + " (it ships with the server binaries)");
    }
    PostgresServer s;
    try {
      s = new PostgresServer(bin, Files.createTempDirectory("elector-pg-"), fsync, serverEnv);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for PostgreSQL", e);
    }
    Runtime.getRuntime().addShutdownHook(s.hook);
    try {
      if (s.root) {
        run(List.of("chown", "nobody:" + nobodyGroup(), s.dir.toString()));
      }
      run(s.asUser(List.of(bin.resolve("initdb").toString(), "-D", s.data.toString(), "-U", USER, "--auth=trust",
          "-E", "UTF8", "--no-sync", "--no-instructions")));
      s.start();
      return s;
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e instanceof IOException io ? new UncheckedIOException("cannot start PostgreSQL from " + bin, io)
          : (RuntimeException) e;
    }
  }

  /** The group of user {@code nobody}: {@code nogroup} on Debian, {@code nobody} on Red Hat and others. */
  private static String nobodyGroup() {
    try {
      return Files.readAllLines(Path.of("/etc/group")).stream().anyMatch(l -> l.startsWith("nogroup:"))
          ? "nogroup" : "nobody";
    } catch (IOException e) {
      return "nogroup";
    }
  }

  /** Starts the server on its port and data (again, after {@link #stop()}); returns once it accepts connections. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      List<String> command = new ArrayList<>();
      if (!serverEnv.isEmpty()) {
        // Set by env(1) under the server's user, not for setpriv: a preloaded libfaketime keeps its state in
        // /dev/shm, made by the first process it loads into (readable by that user only) and opened by the one
        // exec'd after it, which must then run as the same user.
        command.add("/usr/bin/env");
        serverEnv.forEach((k, v) -> command.add(k + "=" + v));
      }
      command.addAll(List.of(bin.resolve("postgres").toString(),
          "-D", data.toString(), "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
          "-c", "unix_socket_directories=" + dir, "-c", "max_connections=400",
          "-c", "fsync=" + (fsync ? "on" : "off")));
      ProcessBuilder pb = withoutPgEnvironment(new ProcessBuilder(asUser(command)));
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
      process = pb.start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      // pg_isready answers 0 only once the server accepts connections (not while "starting up").
      while (!ready()) {
        if (!process.isAlive()) {
          throw new IOException("postgres exited with " + process.exitValue() + ": " + tailLog());
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IOException("postgres did not accept connections on " + endpoint() + " within " + START_TIMEOUT
              + ": " + tailLog());
        }
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting postgres", e);
    }
  }

  private boolean ready() throws IOException, InterruptedException {
    Process p = withoutPgEnvironment(new ProcessBuilder(bin.resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1",
        "-p", Integer.toString(port), "-t", "1")).redirectErrorStream(true).start();
    if (!p.waitFor(5, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return false;
    }
    return p.exitValue() == 0;
  }

  /** Stops the server with a fast shutdown (open sessions are cut), keeping its data. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    if (!process.isAlive()) {
      deleteFakeTimeState();
      return;
    }
    try {
      // SIGINT: PostgreSQL's "fast" shutdown (SIGTERM's "smart" one would wait for every client to leave).
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteFakeTimeState();
  }

  /** Deletes the state libfaketime may have left for a stopped server ({@link FakeClock#deleteState}). */
  private void deleteFakeTimeState() {
    if (!serverEnv.isEmpty()) {
      FakeClock.deleteState(process.pid());
    }
  }

  /** {@code 127.0.0.1:port}. */
  public String endpoint() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The server's (postmaster's) process id, for its CPU time. */
  public synchronized long pid() {
    return process.pid();
  }

  /** A JDBC URL of the default database as {@link #USER} through {@code endpoint} (the server, or a proxy). */
  public static String jdbcUrl(String endpoint) {
    return "jdbc:postgresql://" + endpoint + "/postgres?user=" + USER;
  }

  /** The last 2,000 characters of the server's output, for error messages. */
  public String tailLog() {
    try {
      String text = Files.readString(log());
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private Path log() {
    return dir.resolve("postgres.log");
  }

  private List<String> asUser(List<String> command) {
    if (!root) {
      return command;
    }
    List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    c.addAll(command);
    return c;
  }

  /**
   * Drops the {@code PG*} variables (libpq's defaults such as {@code PGSSLMODE=require}) that this JVM's environment
   * may carry: they would change how the tools reach a server that only speaks plain TCP on loopback.
   */
  private static ProcessBuilder withoutPgEnvironment(ProcessBuilder pb) {
    pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    return pb;
  }

  private static void run(List<String> command) throws IOException {
    Process p = withoutPgEnvironment(new ProcessBuilder(command)).redirectErrorStream(true).start();
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

  /** Stops the server and deletes its files. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running now, and does the same.
    }
    stopAndDelete();
  }

  private void stopAndDelete() {
    stop();
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
