package dev.elector.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a throwaway ZooKeeper server for trying elector by hand.",
      "%nListens on 127.0.0.1 until interrupted (Ctrl-C); its data lives in a temp directory deleted on exit. "
          + "Prints the URI to use with --connect.%n"
    })
final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", paramLabel = "P", defaultValue = "2181",
      description = "Port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--tick-time", paramLabel = "DURATION", defaultValue = "500ms", converter = DurationConverter.class,
      description = "ZooKeeper's tick; sessions may last 2 to 20 ticks (default: ${DEFAULT-VALUE}).")
  Duration tickTime;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port " + port + " must be between 0 and 65535");
    }
    if (tickTime.toMillis() < 10 || tickTime.toMillis() > 10_000) {
      throw new ParameterException(spec.commandLine(),
          "--tick-time " + DurationConverter.format(tickTime) + " must be between 10ms and 10s");
    }
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(port, tickTime);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      zk.close();
      stopped.countDown();
    }, "elector-server-shutdown"));
    Duration max = tickTime.multipliedBy(20);
    PrintWriter out = spec.commandLine().getOut();
    out.println("ZooKeeper is running on " + zk.hostPort() + " (data in " + zk.dataDir() + ", deleted on exit).");
    out.println("Sessions may last " + DurationConverter.format(tickTime.multipliedBy(2)) + " to "
        + DurationConverter.format(max) + ". In another shell:");
    out.println("  export ELECTOR_CONNECT='zookeeper://" + zk.hostPort() + "/elector?sessionTimeout="
        + DurationConverter.format(max.compareTo(Duration.ofSeconds(10)) < 0 ? max : Duration.ofSeconds(10)) + "'");
    out.println("Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }
}
