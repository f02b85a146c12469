package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Participant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "leader",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the current leader of an election.",
      "%nPrints its id, fencing token and data. Exits 3 when the election has no leader.%n"
    })
final class LeaderCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConnectOptions connect;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ClientConfig config = connect.config(spec);
    try (ElectionClient client = ConnectOptions.connect(config)) {
      Optional<Participant> leader =
          Stages.await(client.election(connect.election).leader(), config.operationTimeout(), "reading the leader");
      if (leader.isEmpty()) {
        spec.commandLine().getErr().println("elector leader: election '" + connect.election + "' has no leader");
        return Main.EXIT_NO_LEADER;
      }
      spec.commandLine().getOut().println(json ? Format.json(leader.get()) : Format.text(leader.get()));
      return 0;
    }
  }
}
