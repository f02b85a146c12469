package dev.elector.cli;

import dev.elector.ClientConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Shows a leader election live, with nothing installed.",
      "%nStarts a ZooKeeper server inside this process and lets candidates campaign, each with its own session. "
          + "Rounds alternate: the leader resigns (a planned handoff, a few milliseconds), then the leader is cut "
          + "off from ZooKeeper as if its machine had died (a failover after the session timeout). Prints a "
          + "timeline and stops by itself.%n"
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--candidates", paramLabel = "N", defaultValue = "5",
      description = "How many candidates campaign, each with its own session (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "4",
      description = "How many leaders to replace, alternately by resigning and by crashing (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--session-timeout", paramLabel = "DURATION", defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Session timeout of each candidate: how long a crashed leader blocks the election "
          + "(default: ${DEFAULT-VALUE}).")
  Duration sessionTimeout;

  @Option(names = "--connect", paramLabel = "URI",
      description = "Use this backend instead of the embedded ZooKeeper, e.g. etcd://127.0.0.1:2379/demo "
          + "(ELECTOR_CONNECT is not used here). Its sessionTimeout option wins over --session-timeout.")
  String uri;

  @Override
  public Integer call() throws Exception {
    if (candidates < 2 || candidates > 50) {
      throw new ParameterException(spec.commandLine(), "--candidates " + candidates + " must be between 2 and 50");
    }
    if (rounds < 1 || rounds > 100) {
      throw new ParameterException(spec.commandLine(), "--rounds " + rounds + " must be between 1 and 100");
    }
    if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0 || sessionTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new ParameterException(spec.commandLine(),
          "--session-timeout " + DurationConverter.format(sessionTimeout) + " must be between 1s and 1m");
    }
    PrintWriter out = spec.commandLine().getOut();
    ClientConfig given = null;
    if (uri != null) {
      given = ClientConfig.parse(uri);
      if (!uri.contains("sessionTimeout=")) {
        given = given.toBuilder().sessionTimeout(sessionTimeout).build();
      }
    }
    Timeline timeline = new Timeline(out);
    EmbeddedZooKeeper zk = null;
    try {
      ClientConfig config;
      String where;
      if (given == null) {
        // Sessions may last 2 to 20 ticks; ten ticks per session keep expiry checks fine-grained.
        Duration tick = sessionTimeout.dividedBy(10);
        zk = EmbeddedZooKeeper.start(0, tick);
        // Ctrl-C must not leave the server's data directory behind.
        Runtime.getRuntime().addShutdownHook(new Thread(zk::close, "elector-demo-shutdown"));
        config = ClientConfig.builder("zookeeper").endpoints(zk.hostPort()).root("/elector-demo")
            .sessionTimeout(sessionTimeout).build();
        where = "ZooKeeper " + org.apache.zookeeper.Version.getVersion().replaceFirst("[- ].*", "")
            + " embedded on " + zk.hostPort();
      } else {
        config = given;
        where = given.scheme() + " at " + String.join(",", given.endpoints());
      }
      timeline.heading("Elector demo: " + candidates + " candidates, " + rounds + " rounds, " + where
          + ", session timeout " + DurationConverter.format(config.sessionTimeout()));
      try (Demo demo = new Demo(config, candidates, rounds, timeline)) {
        return demo.run();
      }
    } finally {
      if (zk != null) {
        zk.close();
        timeline.event("stopped ZooKeeper and deleted its data directory");
      }
    }
  }
}
