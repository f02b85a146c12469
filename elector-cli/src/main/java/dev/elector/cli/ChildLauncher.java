package dev.elector.cli;

import dev.elector.Leadership;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts COMMAND under its {@link Guard}: {@code setsid bash -c GUARD … setpriv --pdeathsig KILL -- COMMAND}. The
 * guard leads a session of its own, so no signal meant for elector's process group (Ctrl-C, a stop) reaches it, and
 * it outlives this JVM long enough to stop COMMAND. COMMAND runs with the guard as parent and SIGKILL as its death
 * signal, so it dies even if the guard itself is killed. The script is passed as an argument, not extracted to a
 * file: nothing to clean up, nothing another user could change between writing and running it.
 *
 * <p>Without setsid, bash, setpriv or /proc/uptime (not Linux) COMMAND starts plainly and {@link #guarded()} is
 * false.
 */
final class ChildLauncher {
  private final Optional<Path> setsid = findExecutable("setsid");
  private final Optional<Path> bash = findExecutable("bash");
  private final Optional<Path> setpriv = findExecutable("setpriv");

  boolean guarded() {
    return setsid.isPresent() && bash.isPresent() && setpriv.isPresent() && Guard.clockAvailable();
  }

  /**
   * Starts {@code command} with {@code env} added to this process's environment and stdio inherited, guarded while
   * {@code term} is valid. Returns null, starting nothing, if the term is no longer valid.
   */
  Guard start(String name, List<String> command, Map<String, String> env, Guard.Timing timing,
      Leadership term) throws IOException {
    if (!guarded()) {
      return Guard.unguarded(builder(command, env).start(), timing);
    }
    if (!term.isValid()) {
      return null;
    }
    List<String> wrapped = new ArrayList<>(List.of(setpriv.get().toString(), "--pdeathsig", "KILL", "--"));
    wrapped.addAll(command);
    ProcessBuilder pb = builder(Guard.guardedCommand(setsid.get(), bash.get(), name, timing, wrapped), env);
    // stdin carries the renewals; the guard hands elector's own stdin on to COMMAND.
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    return Guard.guarded(pb.start(), timing, term);
  }

  private static ProcessBuilder builder(List<String> argv, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
    pb.environment().putAll(env);
    return pb;
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
