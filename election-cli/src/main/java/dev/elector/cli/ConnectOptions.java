package dev.elector.cli;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InputRules;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --connect URI} (or {@code ELECTOR_CONNECT}) and {@code --election NAME}, shared by the commands. */
final class ConnectOptions {
  @Option(
      names = "--connect",
      paramLabel = "URI",
      defaultValue = "${env:ELECTOR_CONNECT}",
      description = "Backend URI, e.g. zookeeper://127.0.0.1:2181/my-app?sessionTimeout=10s (default: $ELECTOR_CONNECT).")
  String uri;

  @Option(names = "--election", paramLabel = "NAME", required = true, description = "The election's name.")
  String election;

  /** Parses the URI before any I/O, so a malformed one is a usage error. */
  ClientConfig config(CommandSpec spec) {
    if (uri == null || uri.isBlank()) {
      throw new ParameterException(spec.commandLine(),
          "Missing --connect URI (or set ELECTOR_CONNECT), e.g. --connect zookeeper://127.0.0.1:2181/my-app");
    }
    ClientConfig config = ClientConfig.parse(uri);
    // The engine checks names too, but only after connecting; a typo should not wait for a connect timeout.
    InputRules.checkElectionName(election);
    return config;
  }

  /** Connects, failing in one line (see {@link Main}) when the backend is unknown or unreachable. */
  static ElectionClient connect(ClientConfig config) {
    return Elections.connect(config);
  }
}
