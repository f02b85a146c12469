package dev.elector.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.testservers.InProcessZooKeeper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The meters on a real ZooKeeper server in this JVM (loopback, temporary data directory): a term, its end by
 * reason, a handoff, and a session expired on the server.
 */
class ElectorMetricsZkTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static InProcessZooKeeper server;

  @BeforeAll
  static void start() throws Exception {
    server = InProcessZooKeeper.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void metersCountTermsHandoffAndExpiryOnZooKeeper() throws Exception {
    String uri = "zookeeper://" + server.endpoint() + "/metrics?sessionTimeout=2s";
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ElectorMetrics metrics = ElectorMetrics.builder(registry).candidateIdTags(true).build();
    try (ElectionClient c1 = Elections.connect(uri); ElectionClient c2 = Elections.connect(uri)) {
      metrics.bind(c1);
      metrics.observe(c1.election("zk"));
      Candidate a = c1.election("zk").join("a");
      metrics.bind(a);
      a.awaitLeadership(WAIT);
      Candidate b = c2.election("zk").join("b");
      metrics.bind(b);
      await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.TERMS_STARTED).tag("candidate", "a").counter()
          .count() == 1);
      assertThat(registry.find(ElectorMetrics.LEADER).tag("candidate", "a").gauge().value()).isEqualTo(1);
      assertThat(registry.find(ElectorMetrics.SESSION_STATE).tags("state", "connected", "backend", "zookeeper")
          .gauge().value()).isEqualTo(1);

      a.close();
      b.awaitLeadership(WAIT);
      await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.HANDOFF).tag("candidate", "b").timer()
          .count() == 1);
      assertThat(registry.find(ElectorMetrics.TERMS_ENDED).tags("candidate", "a", "reason", "closed").counter()
          .count()).isEqualTo(1);
      await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.ELECTION_LEADER_PRESENT).gauge().value() == 1);

      server.expire(c1.sessionId());
      await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.SESSION_EXPIRATIONS).counter().count() == 1);
      await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.SESSION_STATE).tag("state", "connected")
          .gauge().value() == 1);
    }
  }
}
