package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.SessionState;
import dev.elector.tck.TckFixture;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The TCK's view of ZooKeeper: an in-process server, 2 s sessions, server-side expiry and restart. */
final class ZkTckFixture implements TckFixture {
  private static final Duration SESSION = Duration.ofSeconds(2);
  private ZkTestServer server;

  @Override
  public void start() throws Exception {
    server = ZkTestServer.start();
  }

  @Override
  public List<String> endpoints() {
    return List.of(server.endpoint());
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
    return Set.of(Capability.EXPIRE_SESSION, Capability.RESTART);
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
