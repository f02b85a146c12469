package dev.elector.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts child processes so that they cannot outlive this JVM, even if it is killed with SIGKILL.
 *
 * <p>Each child runs under {@code setpriv --pdeathsig KILL}, which asks the kernel to send it SIGKILL when its
 * parent dies. Linux's "parent" here is the <em>thread</em> that forked the child, not the process: a child started
 * from a pool thread that later ends would be killed with it. So every child is started from one dedicated thread
 * that runs until the JVM exits.
 *
 * <p>Limits: only COMMAND itself gets the signal; processes it forks are reparented, so COMMAND should {@code exec}
 * its final program or stop its own children on SIGTERM. Without {@code setpriv} (not Linux, or util-linux
 * missing) children start plainly and {@link #guardsAgainstOrphans()} is false.
 */
final class ChildLauncher {
  private final Optional<Path> setpriv;
  private final BlockingQueue<FutureTask<Process>> requests = new LinkedBlockingQueue<>();

  ChildLauncher() {
    this.setpriv = findExecutable("setpriv");
    Thread t = new Thread(this::serve, "elector-child-launcher");
    // Daemon so it never holds the JVM open, yet it only ends when the JVM does.
    t.setDaemon(true);
    t.start();
  }

  boolean guardsAgainstOrphans() {
    return setpriv.isPresent();
  }

  private void serve() {
    while (true) {
      try {
        requests.take().run();
      } catch (InterruptedException e) {
        // Never leave: a child's death signal is tied to this thread's life.
        Thread.interrupted();
      }
    }
  }

  /** Starts {@code command} with {@code env} added to this process's environment, stdio inherited. */
  Process start(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>();
    setpriv.ifPresent(p -> argv.addAll(List.of(p.toString(), "--pdeathsig", "KILL", "--")));
    argv.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
    pb.environment().putAll(env);
    FutureTask<Process> task = new FutureTask<>(pb::start);
    requests.put(task);
    try {
      return task.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot start " + command.get(0) + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      task.cancel(false);
      throw new IOException("starting " + command.get(0) + " took longer than 30s");
    }
  }

  /** {@code name} if it is an executable path, else the first executable of that name on {@code PATH}. */
  static Optional<Path> findExecutable(String name) {
    if (name.indexOf('/') >= 0) {
      Path p = Path.of(name);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
