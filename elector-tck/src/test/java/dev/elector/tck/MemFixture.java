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
  /** The root of every configuration this fixture gives out. */
  static final String ROOT = "/tck";
  private static final Duration CUT_WAIT = Duration.ofSeconds(5);

  private final String cluster = "tck-" + UUID.randomUUID().toString().substring(0, 8);
  /** The session each partitioned client had when it was cut off: heal must name that one. */
  private final Map<ElectionClient, Cut> cut = new ConcurrentHashMap<>();

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
    return ClientConfig.builder("mem").endpoints(endpoints).root(ROOT).sessionTimeout(SESSION_TIMEOUT)
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
    return Set.of(Capability.EXPIRE_SESSION, Capability.PARTITION, Capability.OPERATOR);
  }

  @Override
  public void deleteTicket(String election, String candidateId) {
    MemCluster.named(cluster).deleteTickets(election, candidateId);
  }

  @Override
  public void putForeignEntry(String election, String name, byte[] value) {
    MemCluster.named(cluster).putForeignEntry(ROOT + "/" + election, name, value);
  }

  @Override
  public void deleteElection(String election) {
    MemCluster.named(cluster).deleteElection(ROOT + "/" + election);
  }

  @Override
  public void expireSession(ElectionClient client) {
    MemCluster mem = MemCluster.named(cluster);
    Cut c = cut.get(client);
    long id = c != null ? c.sessionId : client.sessionId();
    // A cut-off client learns of it when healed. The server's own timer may have expired the session already
    // (also between any check here and this call): then it stays expired and this does nothing.
    mem.expire(id);
  }

  /**
   * Silences the client's session. A client healed just after its session expired still reports the old session
   * until it has opened a new one, and silencing the old one would cut nothing off (the test would then wait for a
   * step-down that cannot come), so this waits, bounded, until the session it silences is one the server holds.
   */
  @Override
  public void partition(ElectionClient client) throws InterruptedException {
    MemCluster mem = MemCluster.named(cluster);
    long deadline = System.nanoTime() + CUT_WAIT.toNanos();
    while (true) {
      long id = client.sessionId();
      cut.put(client, new Cut(id));
      if (mem.silence(id)) {
        return;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException("cannot partition: the client's session " + Long.toHexString(id)
            + " is not held by mem cluster " + cluster + " and no new one was opened within " + CUT_WAIT);
      }
      Thread.sleep(2);
    }
  }

  @Override
  public void heal(ElectionClient client) {
    Cut c = cut.remove(client);
    // The session cut off, even if the server has expired it since: the client learns which when healed.
    MemCluster.named(cluster).heal(c != null ? c.sessionId : client.sessionId());
  }

  private record Cut(long sessionId) {}

  @Override
  public void close() {}
}
