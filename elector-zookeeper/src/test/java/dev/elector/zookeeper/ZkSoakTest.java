package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.tck.Soak;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link Soak} (issue 8) on a real in-process ZooKeeper server: random faults from a printed seed over
 * hundreds of candidates, every term checked, heap and thread bounds. Short form by default (about 30 s of faults);
 * the full form on demand: {@code -Delector.soak.duration=5m} (and {@code -Delector.soak.seed=N} to replay a run).
 */
class ZkSoakTest {
  private static final Duration SESSION = Duration.ofSeconds(2);

  private ZkTestServer server;

  @BeforeEach
  void start() throws Exception {
    server = ZkTestServer.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void randomFaultsOverManyCandidatesKeepEveryRule() throws Exception {
    Soak.run(new Soak.Backend() {
      @Override
      public String name() {
        return "ZooKeeper";
      }

      @Override
      public String endpoint() {
        return server.endpoint();
      }

      @Override
      public Duration sessionTimeout() {
        return SESSION;
      }

      @Override
      public ElectionClient connect(String endpoint) {
        return Elections.connect(ClientConfig.builder("zookeeper").endpoints(endpoint).root("/soak")
            .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5))
            .build());
      }

      @Override
      public boolean expireSession(long sessionId) throws Exception {
        boolean known = server.hasSession(sessionId);
        if (known) {
          server.expire(sessionId);
        }
        return known;
      }

      @Override
      public boolean isClientThread(String name) {
        return name.contains("-SendThread(") || name.endsWith("-EventThread");
      }
    });
  }
}
