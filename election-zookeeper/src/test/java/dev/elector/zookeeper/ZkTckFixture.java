package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.SessionState;
import dev.elector.tck.TckFixture;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The TCK's view of ZooKeeper: a three-member in-process ensemble, 2 s sessions, server-side expiry, restart of the
 * whole ensemble and of any one member.
 */
final class ZkTckFixture implements TckFixture {
  private static final Duration SESSION = Duration.ofSeconds(2);
  private ZkTestEnsemble server;

  @Override
  public void start() throws Exception {
    server = ZkTestEnsemble.start(3);
  }

  @Override
  public List<String> endpoints() {
    return server.endpoints();
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("zookeeper").endpoints(endpoints).root("/tck").sessionTimeout(SESSION)
        .connectTimeout(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Duration sessionTimeout() {
    return SESSION;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.KILL_MEMBER);
  }

  @Override
  public int members() {
    return server.size();
  }

  /** Stops the member and returns once the other two serve again (after a new leader election if it led). */
  @Override
  public void killMember(int i) throws Exception {
    server.stopMember(i);
    server.awaitQuorum(server.size() - 1);
  }

  @Override
  public void restoreMember(int i) throws Exception {
    server.startMember(i);
    server.awaitQuorum(server.size());
  }

  /**
   * Expires the session on the server and returns once the client has heard of it. A forced expiry acts on the
   * server before any client can know (the server closes the connection right after); a session that times out on
   * its own is past its client's deadline long before the server acts, so this is the same end state.
   */
  @Override
  public void expireSession(ElectionClient client) throws Exception {
    long id = client.sessionId();
    server.expire(id);
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (client.sessionState() == SessionState.CONNECTED && client.sessionId() == id) {
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("client still on session 0x" + Long.toHexString(id) + " 10 s after expiry");
      }
      Thread.sleep(5);
    }
  }

  @Override
  public void restart() throws Exception {
    server.restart();
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      server.close();
    }
  }
}
