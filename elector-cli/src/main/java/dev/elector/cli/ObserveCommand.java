package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.SessionState;
import dev.elector.Subscription;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "observe",
    mixinStandardHelpOptions = true,
    description = {
      "Prints every leader change of an election as it happens.",
      "%nFirst the current leader, then each change, \"no leader\" included, one line each, until interrupted "
          + "(Ctrl-C). Tokens never go back.%n"
    })
final class ObserveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConnectOptions connect;

  @Option(names = "--json", description = "Print JSON lines; \"leader\" is null when there is none.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ClientConfig config = connect.config(spec);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ElectionClient client = ConnectOptions.connect(config);
    ExecutorService printer = Executors.newSingleThreadExecutor(Threads.daemon("elector-observe"));
    CountDownLatch stopped = new CountDownLatch(1);
    // The first report is the current state; only changes after it are worth a line.
    SessionState[] last = {SessionState.CONNECTED};
    Subscription sessions = client.addSessionListener(printer, (state, id) -> {
      if (state != last[0]) {
        err.println("elector observe: session " + state.name().toLowerCase(java.util.Locale.ROOT)
            + (state == SessionState.SUSPENDED ? "; the leader shown last may be stale" : ""));
        err.flush();
      }
      last[0] = state;
    });
    Subscription leaders = client.election(connect.election).observe(printer, leader -> {
      Instant now = Instant.now();
      out.println(json ? Format.leaderJson(now, leader) : Format.leaderText(now, leader));
      out.flush();
      if (out.checkError()) {
        // Nobody reads any more (observe | head -3): stop instead of watching for no one.
        stopped.countDown();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      leaders.cancel();
      sessions.cancel();
      client.close();
      stopped.countDown();
    }, "elector-observe-shutdown"));
    // Runs until SIGINT/SIGTERM (the hook above cleans up while this thread waits) or until stdout is closed.
    stopped.await();
    leaders.cancel();
    return 0;
  }
}
