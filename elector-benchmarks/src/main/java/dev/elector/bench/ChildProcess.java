package dev.elector.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server process the harness started (etcd, or a ZooKeeper server JVM) with its output in a log file in its own
 * temp dir: stopped and the dir deleted on close, and by a shutdown hook if the run is interrupted.
 */
final class ChildProcess implements AutoCloseable {
  private final Path dir;
  private final Path log;
  private final Process process;
  private final Thread hook;

  /** Starts {@code command} with its output in {@code dir/logName}; {@code dir} is the child's and goes with it. */
  ChildProcess(Path dir, String logName, List<String> command) throws IOException {
    this.dir = dir;
    this.log = dir.resolve(logName);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    process = pb.start();
    hook = new Thread(this::stop, "bench-server-stopper");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The child's process id, for its CPU time in /proc. */
  long pid() {
    return process.pid();
  }

  /** Throws, with the end of the child's log, if it has exited. */
  void checkAlive(String what) throws IOException {
    if (!process.isAlive()) {
      throw new IOException(what + " exited with " + process.exitValue() + ": " + tailLog());
    }
  }

  /** The last 2,000 characters of the child's output, for error messages. */
  String tailLog() {
    try {
      String text = Files.readString(log);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  synchronized void stop() {
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
