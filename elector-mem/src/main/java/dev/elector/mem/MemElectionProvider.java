package dev.elector.mem;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;

/** The {@code mem} provider: {@code mem://<cluster>/<root>}, where the cluster is a name local to this JVM. */
public final class MemElectionProvider implements ElectionProvider {
  /** For {@link java.util.ServiceLoader}; does nothing. */
  public MemElectionProvider() {}

  @Override
  public String scheme() {
    return "mem";
  }

  @Override
  public String artifact() {
    return "dev.elector:elector-mem";
  }

  @Override
  public void validate(ClientConfig config) {
    if (config.endpoints().size() != 1) {
      throw new InvalidInputException("mem endpoints", config.endpoints(), "must name exactly one cluster");
    }
    String name = config.endpoints().get(0);
    if (!name.matches("[A-Za-z0-9._\\-]{1,128}")) {
      throw new InvalidInputException("mem cluster name", name, "must be 1 to 128 of [A-Za-z0-9._-]");
    }
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener) {
    return MemCluster.named(config.endpoints().get(0)).connect(config, listener);
  }
}
