package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.faultproxy.FaultProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** One client under test, with its own proxies (TCP fixtures) so it can be partitioned or crashed alone. */
final class TckClient {
  final String name;
  final ElectionClient client;
  final ClientConfig config;
  private final TckFixture fixture;
  private final List<FaultProxy> proxies;
  private volatile boolean partitioned;
  private volatile boolean crashed;

  private TckClient(String name, ElectionClient client, ClientConfig config, TckFixture fixture,
      List<FaultProxy> proxies) {
    this.name = name;
    this.client = client;
    this.config = config;
    this.fixture = fixture;
    this.proxies = proxies;
  }

  static TckClient connect(String name, TckFixture fixture) {
    return connect(name, fixture, UnaryOperator.identity());
  }

  /**
   * A client whose configuration is the fixture's, changed by {@code derive} (another root, a shorter operation
   * timeout, a larger data limit); the endpoints stay the fixture's (or the kit's proxies).
   */
  static TckClient connect(String name, TckFixture fixture, UnaryOperator<ClientConfig> derive) {
    List<FaultProxy> proxies = new ArrayList<>();
    try {
      ClientConfig config;
      if (fixture.tcp()) {
        List<String> endpoints = new ArrayList<>();
        for (String e : fixture.endpoints()) {
          FaultProxy p = FaultProxy.start(e);
          proxies.add(p);
          endpoints.add(p.endpoint());
        }
        config = fixture.config(endpoints);
      } else {
        config = fixture.config(fixture.endpoints());
      }
      config = derive.apply(config);
      ElectionClient c = fixture.connect(config);
      return new TckClient(name, c, config, fixture, proxies);
    } catch (RuntimeException e) {
      proxies.forEach(FaultProxy::close);
      throw e;
    }
  }

  /** Cuts the client off from the service, connections kept open. */
  void partition() throws Exception {
    partitioned = true;
    if (fixture.tcp()) {
      proxies.forEach(FaultProxy::partition);
    } else {
      fixture.partition(client);
    }
  }

  void heal() throws Exception {
    if (crashed) {
      throw new IllegalStateException(name + " crashed; it is never healed");
    }
    partitioned = false;
    if (fixture.tcp()) {
      proxies.forEach(FaultProxy::heal);
    } else {
      fixture.heal(client);
    }
  }

  /** A crash: the process is cut off for good, never closed until the test ends. */
  void crash() throws Exception {
    crashed = true;
    partition();
  }

  /** A connection loss: TCP fixtures drop every connection; others partition and heal at once. */
  void blip() throws Exception {
    if (fixture.tcp()) {
      proxies.forEach(FaultProxy::dropConnections);
    } else {
      fixture.partition(client);
      fixture.heal(client);
    }
  }

  /** Adds one-way latency to every connection of the client (TCP fixtures; a no-op otherwise). Heal removes it. */
  void latency(java.time.Duration oneWay) {
    if (fixture.tcp()) {
      proxies.forEach(p -> p.latency(oneWay));
    }
  }

  /**
   * Delays only the service's answers to this client (TCP fixtures: {@link FaultProxy#replyLatency}; a no-op
   * otherwise, where a fixture has no network to slow). Heal removes it.
   */
  void replyLatency(java.time.Duration oneWay) {
    if (fixture.tcp()) {
      proxies.forEach(p -> p.replyLatency(oneWay));
    }
  }

  /**
   * Cuts only what this client sends (TCP fixtures: {@link FaultProxy#partitionRequests}); answers already on their
   * way still arrive. Fixtures without a network cut the client off as {@link #partition()} does. Heal ends it.
   */
  void cutRequests() throws Exception {
    partitioned = true;
    if (fixture.tcp()) {
      proxies.forEach(FaultProxy::partitionRequests);
    } else {
      fixture.partition(client);
    }
  }

  boolean partitioned() {
    return partitioned;
  }

  boolean crashed() {
    return crashed;
  }

  /** Closes the client; a crashed or partitioned one first loses its proxies so close cannot hang on them. */
  void close() {
    try {
      if (crashed || partitioned) {
        if (fixture.tcp()) {
          proxies.forEach(FaultProxy::close);
        }
      }
      client.close();
    } finally {
      proxies.forEach(FaultProxy::close);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
