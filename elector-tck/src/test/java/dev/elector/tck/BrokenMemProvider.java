package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.mem.MemElectionProvider;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import dev.elector.spi.EngineLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code brokenmem} provider of the kit's self-tests (on the test class path only): the in-memory backend behind
 * a {@link BrokenBackend}, which breaks one rule below the engine, as a faulty backend would. The variant is chosen
 * per mem cluster by {@link Broken.Fixture}, through {@link #config}.
 */
public final class BrokenMemProvider implements ElectionProvider {
  static final String SCHEME = "brokenmem";
  /** The variant of every client of a mem cluster, by cluster name. */
  private static final Map<String, Broken.Variant> VARIANTS = new ConcurrentHashMap<>();

  private final MemElectionProvider mem = new MemElectionProvider();

  /** For {@link java.util.ServiceLoader}; does nothing. */
  public BrokenMemProvider() {}

  /** The mem configuration {@code memConfig}, served by this provider with variant {@code v}. */
  static ClientConfig config(ClientConfig memConfig, Broken.Variant v) {
    VARIANTS.put(memConfig.endpoints().get(0), v);
    return new ClientConfig(SCHEME, memConfig.endpoints(), memConfig.root(), memConfig.sessionTimeout(),
        memConfig.connectTimeout(), memConfig.operationTimeout(), memConfig.maxDataBytes(), memConfig.options());
  }

  @Override
  public String scheme() {
    return SCHEME;
  }

  @Override
  public String artifact() {
    return "the test classes of dev.elector:elector-tck";
  }

  @Override
  public void validate(ClientConfig config) {
    mem.validate(config);
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener) {
    return connect(config, listener, null);
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener, EngineLoop loop) {
    Broken.Variant v = VARIANTS.get(config.endpoints().get(0));
    if (v == null) {
      throw new IllegalStateException("no broken variant registered for mem cluster " + config.endpoints().get(0));
    }
    if (v == Broken.Variant.VALID_WHILE_LOOP_STALLS) {
      if (loop == null) {
        throw new IllegalStateException(v + " runs on the engine's loop, and was connected without one");
      }
      return new LoopFlagBackend(config, mem.connect(config, listener), loop);
    }
    BrokenBackend b = new BrokenBackend(v, config, listener);
    b.open(mem.connect(config, b.events()));
    return b;
  }
}
