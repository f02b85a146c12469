package dev.elector.cli;

import dev.elector.BackendUnavailableException;
import dev.elector.ElectorException;
import dev.elector.InvalidInputException;
import dev.elector.spi.support.Errors;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The entry point of {@code elector.jar}. Exit codes: 0 success, 1 failure (backend unreachable, no backend for the
 * scheme, …), 2 usage error, 3 no leader ({@code leader}); {@code campaign} exits with its command's exit code.
 */
@Command(
    name = "elector",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Leader election from the shell, on ZooKeeper or etcd. Start with: elector demo%n"},
    footer = {
      "%nBackend URIs (--connect, default $ELECTOR_CONNECT):",
      "  zookeeper://127.0.0.1:2181/my-app?sessionTimeout=10s",
      "  etcd://127.0.0.1:2379/my-app?sessionTimeout=10s",
      "  postgresql://127.0.0.1:5432/appdb/elector?sessionTimeout=10s&user=app (root: /database/schema)",
      "%nExit codes: 0 ok, 1 failure, 2 usage error, 3 no leader (leader);",
      "campaign exits with COMMAND's exit code."
    },
    subcommands = {
      DemoCommand.class,
      CampaignCommand.class,
      LeaderCommand.class,
      ObserveCommand.class,
      ParticipantsCommand.class,
      ServerCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_NO_LEADER = 3;

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Show library logs and the stack trace of an error.")
  boolean verbose;

  private Main() {}

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "Missing command: choose one of demo, campaign, leader, observe, participants, server");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    boolean verbose = verbose(args);
    configureLogging(verbose);
    CommandLine cl = new CommandLine(new Main());
    // COMMAND's own flags (sh -c …) must reach COMMAND even without "--".
    cl.getSubcommands().get("campaign").setStopAtPositional(true);
    cl.setParameterExceptionHandler((ex, a) -> usageError(ex));
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> failure(ex, commandLine, verbose));
    return cl.execute(args);
  }

  /** Looked up before picocli runs, because logging must be configured before any library logs. */
  private static boolean verbose(String[] args) {
    for (String a : args) {
      if (a.equals("--")) {
        return false;
      }
      if (a.equals("--verbose")) {
        return true;
      }
    }
    return false;
  }

  private static void configureLogging(boolean verbose) {
    if (verbose) {
      // System properties win over simplelogger.properties in the jar.
      for (String logger : new String[] {"", ".log.org.apache.zookeeper", ".log.io.netty", ".log.io.grpc",
          ".log.io.etcd"}) {
        String key = logger.isEmpty() ? "org.slf4j.simpleLogger.defaultLogLevel" : "org.slf4j.simpleLogger" + logger;
        System.setProperty(key, "info");
      }
    } else {
      // gRPC (under jetcd) logs through java.util.logging, not SLF4J.
      Logger root = Logger.getLogger("");
      root.setLevel(Level.SEVERE);
      Arrays.stream(root.getHandlers()).forEach(h -> h.setLevel(Level.SEVERE));
    }
  }

  private static int usageError(ParameterException ex) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
    err.flush();
    return EXIT_USAGE;
  }

  private static int failure(Exception ex, CommandLine cmd, boolean verbose) {
    Throwable t = Errors.unwrap(ex);
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    int code;
    String message;
    if (t instanceof Failure f) {
      code = f.exitCode();
      message = f.getMessage();
    } else if (t instanceof InvalidInputException) {
      code = EXIT_USAGE;
      message = t.getMessage();
    } else if (t instanceof BackendUnavailableException) {
      code = EXIT_FAILURE;
      message = "backend unavailable: " + t.getMessage();
    } else if (t instanceof ElectorException) {
      code = EXIT_FAILURE;
      message = t.getMessage();
    } else {
      code = EXIT_FAILURE;
      message = "unexpected error: " + t + (verbose ? "" : " (run with --verbose for details)");
    }
    err.println(name + ": " + oneLine(message));
    if (verbose) {
      t.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
  }

  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("/elector-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"elector " + p.getProperty("version", "(unknown version)")};
    }
  }
}
