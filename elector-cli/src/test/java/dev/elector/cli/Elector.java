package dev.elector.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of the real {@code elector.jar} in its own JVM, with stdout and stderr captured in files (a pipe nobody
 * reads could fill up and stall the tool). {@link #process()} is the java process itself, so killing it kills
 * elector, not a wrapper script.
 */
final class Elector implements AutoCloseable {
  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final String name;

  private Elector(String name, Process process, Path stdout, Path stderr) {
    this.name = name;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  static Path jar() {
    String jar = System.getProperty("elector.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("system property elector.jar must name the built jar, got " + jar
          + " (run the tests with: ./mvnw -pl elector-cli verify)");
    }
    return Path.of(jar);
  }

  /** Starts {@code java -jar elector.jar args…} with {@code tmp} as its java.io.tmpdir and working directory. */
  static Elector start(Path tmp, String name, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Djava.io.tmpdir=" + tmp.resolve("jvm-tmp"));
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xshare:auto");
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    try {
      Files.createDirectories(tmp.resolve("jvm-tmp"));
      Path out = tmp.resolve(name + ".out");
      Path err = tmp.resolve(name + ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
      pb.environment().remove("ELECTOR_CONNECT");
      pb.environment().putAll(env);
      return new Elector(name, pb.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs to completion within {@code timeout} and returns the exit code. */
  static Elector run(Path tmp, String name, Duration timeout, Map<String, String> env, String... args)
      throws InterruptedException {
    Elector e = start(tmp, name, env, args);
    if (!e.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      e.close();
      throw new AssertionError(name + " did not finish within " + timeout + "; stderr: " + e.err());
    }
    return e;
  }

  Process process() {
    return process;
  }

  int exitCode() {
    return process.exitValue();
  }

  String out() {
    return read(stdout);
  }

  String err() {
    return read(stderr);
  }

  List<String> outLines() {
    return out().lines().toList();
  }

  List<String> errLines() {
    return err().lines().toList();
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }

  /** SIGTERM, then SIGKILL if it has not exited within five seconds. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
