package dev.elector.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed JVM flags for the benchmark process: {@code main} re-executes itself once as a child JVM with
 * {@link #FLAGS} (output inherited, exit code passed on) unless the marker property says it is that child. So the
 * heap, GC and their pauses are the same on every machine and every invocation, whatever {@code java -jar} was given.
 * {@code -Dbench.*} properties are passed on; {@code -Dbench.inProcess=true} skips the re-execution.
 */
final class Relaunch {
  /** Heap fixed in size (no resizing during a run) and G1, the JDK's default collector, named so it cannot change. */
  static final List<String> FLAGS = List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC");
  static final String MARKER = "bench.child";

  private Relaunch() {}

  /** True when this JVM should start the child rather than run the suite. */
  static boolean needed() {
    return System.getProperty(MARKER) == null && !Boolean.getBoolean("bench.inProcess");
  }

  /** Runs the suite in a child JVM with the fixed flags; returns its exit code. */
  static int run(String[] args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(FLAGS);
    cmd.add("-D" + MARKER + "=true");
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("bench.")) {
        cmd.add("-D" + name + "=" + System.getProperty(name));
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BenchMain.class.getName());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    Thread stopper = new Thread(p::destroy, "bench-child-stopper");
    Runtime.getRuntime().addShutdownHook(stopper);
    int rc = p.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(stopper);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running.
    }
    return rc;
  }

  /** This JVM's flags as given, for the run's header. */
  static String flags() {
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    List<String> shown = new ArrayList<>();
    for (String a : in) {
      if (!a.startsWith("-D" + MARKER)) {
        shown.add(a);
      }
    }
    return String.join(" ", shown) + (System.getProperty(MARKER) == null
        ? " (not re-executed: in-process run, flags not fixed)" : "");
  }
}
