package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.internal.Checks;
import java.nio.charset.StandardCharsets;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "campaign",
    showEndOfOptionsDelimiterInUsageHelp = true,
    mixinStandardHelpOptions = true,
    description = {
      "Runs COMMAND only while this process leads an election.",
      "%nCOMMAND gets ELECTOR_TOKEN (the fencing token), ELECTOR_ELECTION and ELECTOR_ID in its environment. "
          + "When leadership is lost, COMMAND gets SIGTERM at once and SIGKILL after --grace, which fits in the last "
          + "third of the session timeout, so COMMAND is gone before the service can let a successor in. When COMMAND exits "
          + "by itself, elector leaves the election and exits with COMMAND's exit code (with --requeue it goes to "
          + "the back of the line and campaigns again). SIGINT/SIGTERM stop COMMAND, leave the election and exit.",
      "%nIf elector is killed, even with SIGKILL, the kernel kills COMMAND too (setpriv --pdeathsig). Processes "
          + "that COMMAND forks are not covered: let COMMAND exec its program, or stop its children on SIGTERM.%n"
    })
final class CampaignCommand implements Callable<Integer> {
  private static final Duration MAX_DEFAULT_GRACE = Duration.ofSeconds(2);

  @Spec CommandSpec spec;
  @Mixin ConnectOptions connect;

  @Option(names = "--id", paramLabel = "ID", description = "This candidate's id (default: HOSTNAME-PID).")
  String id;

  @Option(names = "--data", paramLabel = "TEXT", defaultValue = "",
      description = "Data published with the candidacy, e.g. where to reach it; shown by leader/observe.")
  String data;

  @Option(names = "--grace", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Time between SIGTERM and SIGKILL when leadership is lost; must be shorter than a third of "
          + "the session timeout (default: the smaller of 2s and a quarter of the session timeout).")
  Duration grace;

  @Option(names = "--requeue", description = "When COMMAND exits by itself, campaign again instead of exiting.")
  boolean requeue;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    ClientConfig config = connect.config(spec);
    Duration sessionTimeout = config.sessionTimeout();
    // A client notices lost contact up to two thirds into the session timeout; the service may elect a
    // successor when the timeout is over. COMMAND must be dead by then, so the grace fits in the last third.
    Duration limit = sessionTimeout.dividedBy(3);
    Duration g = grace != null ? grace : min(MAX_DEFAULT_GRACE, sessionTimeout.dividedBy(4));
    if (g.compareTo(limit) >= 0) {
      throw new ParameterException(spec.commandLine(), "--grace " + DurationConverter.format(g)
          + " must be shorter than a third of the session timeout " + DurationConverter.format(sessionTimeout)
          + " (" + DurationConverter.format(limit) + "), so COMMAND is stopped before a successor can be elected");
    }
    String program = command.get(0);
    if (ChildLauncher.findExecutable(program).isEmpty()) {
      throw new ParameterException(spec.commandLine(), "COMMAND '" + program + "' is not an executable file"
          + (program.indexOf('/') >= 0 ? "" : " on PATH"));
    }
    String candidateId = Checks.candidateId(id != null ? id : defaultId());
    Checks.data(data.getBytes(StandardCharsets.UTF_8), config.maxDataBytes());
    PrintWriter err = spec.commandLine().getErr();
    ChildLauncher launcher = new ChildLauncher();
    if (!launcher.guardsAgainstOrphans()) {
      err.println("elector campaign: setpriv not found: if elector is killed with SIGKILL, COMMAND will keep running");
      err.flush();
    }
    ElectionClient client = ConnectOptions.connect(config);
    Campaign campaign = new Campaign(client, connect.election, candidateId, data, command, g, requeue, launcher, err);
    return campaign.run();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String defaultId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
