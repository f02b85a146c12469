package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Participant;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "participants",
    mixinStandardHelpOptions = true,
    description = {
      "Prints an election's candidates in line order.",
      "%nOne candidate a line: position, id, token, data. The first one leads.%n"
    })
final class ParticipantsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ConnectOptions connect;

  @Option(names = "--json", description = "Print JSON lines instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ClientConfig config = connect.config(spec);
    try (ElectionClient client = ConnectOptions.connect(config)) {
      List<Participant> line = Stages.await(
          client.election(connect.election).participants(), config.operationTimeout(), "reading the participants");
      PrintWriter out = spec.commandLine().getOut();
      if (line.isEmpty()) {
        spec.commandLine().getErr().println("elector participants: election '" + connect.election + "' is empty");
      }
      for (int i = 0; i < line.size(); i++) {
        Participant p = line.get(i);
        out.println(json ? Format.json(p) : (i + 1) + " " + Format.text(p) + (i == 0 ? " (leader)" : ""));
      }
      out.flush();
      return 0;
    }
  }
}
