package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.mem.MemCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory backend as a TCK fixture: one fresh {@code mem://} cluster per test class. A partition is
 * {@link MemCluster#silence}: the client is cut off without noticing, so its own deadline must end its terms, as with
 * a TCP partition.
 */
class MemFixture implements TckFixture {
  static final Duration SESSION_TIMEOUT = Duration.ofMillis(1500);

  private final String cluster = "tck-" + UUID.randomUUID().toString().substring(0, 8);
  /** The session each partitioned client had when it was cut off: heal must name that one. */
  private final Map<ElectionClient, Long> cut = new ConcurrentHashMap<>();

  @Override
  public void start() {
    MemCluster.named(cluster);
  }

  @Override
  public List<String> endpoints() {
    return List.of(cluster);
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("mem").endpoints(endpoints).root("/tck").sessionTimeout(SESSION_TIMEOUT)
        .operationTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Duration sessionTimeout() {
    return SESSION_TIMEOUT;
  }

  @Override
  public boolean tcp() {
    return false;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.EXPIRE_SESSION, Capability.PARTITION);
  }

  @Override
  public void expireSession(ElectionClient client) {
    Long cutOff = cut.remove(client);
    if (cutOff != null) {
      // MemCluster.heal cannot reach a client whose session it already expired (reported to the lead), so a
      // cut-off client is healed a moment before its session is expired; its terms ended by its deadline already.
      MemCluster mem = MemCluster.named(cluster);
      mem.heal(cutOff);
      if (mem.sessions().contains(cutOff)) {
        mem.expire(cutOff);
      }
      return;
    }
    MemCluster.named(cluster).expire(client.sessionId());
  }

  @Override
  public void partition(ElectionClient client) {
    long id = client.sessionId();
    cut.put(client, id);
    MemCluster.named(cluster).silence(id);
  }

  @Override
  public void heal(ElectionClient client) {
    Long id = cut.remove(client);
    MemCluster.named(cluster).heal(id == null ? client.sessionId() : id);
  }

  @Override
  public void close() {}
}
