package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.InputRules;
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
          + "When leadership is lost, COMMAND's process group gets SIGTERM at once and SIGKILL after --grace, so "
          + "COMMAND and what it forked are gone before the service can let a successor in. When COMMAND exits "
          + "by itself, elector leaves the election and exits with COMMAND's exit code (with --requeue it goes to "
          + "the back of the line and campaigns again). SIGINT/SIGTERM stop COMMAND, leave the election and exit.",
      "%nCOMMAND runs under a guard, a small process of its own that stops COMMAND's process group when elector "
          + "does not renew it in time: if elector is frozen (GC pause, SIGSTOP) or killed, even with SIGKILL, "
          + "COMMAND still stops within a third of the session timeout.%n"
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
      description = "Time between SIGTERM and SIGKILL when leadership is lost; at most a sixth of the session "
          + "timeout (default: the smaller of 2s and an eighth of the session timeout).")
  Duration grace;

  @Option(names = "--requeue", description = "When COMMAND exits by itself, campaign again instead of exiting.")
  boolean requeue;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    ClientConfig config = connect.config(spec);
    Duration sessionTimeout = config.sessionTimeout();
    // COMMAND's guard stops it within a third of the session timeout after elector's last renewal, SIGKILL
    // included; the grace is the end of that third, and at least the twelfth before it is slack against pauses
    // (see Guard).
    Duration limit = Guard.Timing.maxGrace(sessionTimeout);
    Duration g = grace != null ? grace : min(MAX_DEFAULT_GRACE, sessionTimeout.dividedBy(8));
    if (g.compareTo(limit) > 0) {
      throw new ParameterException(spec.commandLine(), "--grace " + DurationConverter.format(g)
          + " must be at most a sixth of the session timeout " + DurationConverter.format(sessionTimeout)
          + " (" + DurationConverter.format(limit) + "), so COMMAND is stopped before a successor can be elected");
    }
    String program = command.get(0);
    if (ChildLauncher.findExecutable(program).isEmpty()) {
      throw new ParameterException(spec.commandLine(), "COMMAND '" + program + "' is not an executable file"
          + (program.indexOf('/') >= 0 ? "" : " on PATH"));
    }
    String candidateId = InputRules.checkCandidateId(id != null ? id : defaultId());
    InputRules.checkData(data.getBytes(StandardCharsets.UTF_8), config.maxDataBytes());
    PrintWriter err = spec.commandLine().getErr();
    ChildLauncher launcher = new ChildLauncher();
    if (!launcher.guarded()) {
      err.println("elector campaign: setsid, bash, setpriv or /proc/uptime not found: COMMAND runs unguarded; if "
          + "elector is frozen or killed, COMMAND and its children keep running");
      err.flush();
    }
    ElectionClient client = ConnectOptions.connect(config);
    Campaign campaign = new Campaign(client, connect.election, candidateId, data, command,
        Guard.Timing.of(sessionTimeout, g), requeue, launcher, err);
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
