package dev.elector.internal;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.spi.ElectionProvider;

/** The engine's client. Placeholder until the engine lands. */
public final class EngineClient {
  private EngineClient() {}

  public static ElectionClient connect(ElectionProvider provider, ClientConfig config) {
    throw new UnsupportedOperationException("engine not written yet");
  }
}
