package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ElectionClient;
import dev.elector.EndReason;
import dev.elector.SessionState;
import dev.elector.mem.MemCluster;
import dev.elector.micrometer.ElectorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Two web instances on the mem backend, whose cluster can cut a session off: while the leader's session is
 * suspended its health says UNKNOWN over HTTP, its term ends (event, meters, whole-term task interrupted) and the
 * other instance takes the job; once healed it reports UP again.
 */
class SpringMemTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aSuspendedLeaderIsUnknownLosesItsTermAndTheOtherTakesOver() throws Exception {
    String cluster = "spring-" + UUID.randomUUID();
    String[] common = {"elector.connect=mem://" + cluster + "/app?sessionTimeout=30s", "elector.election=jobs"};
    try (ConfigurableApplicationContext a = TestApp.start(true, with(common, "elector.candidate-id=a"));
        ConfigurableApplicationContext b = TestApp.start(true, with(common, "elector.candidate-id=b"))) {
      await().atMost(WAIT).until(() -> job(a).runs() + job(b).runs() > 0);
      ConfigurableApplicationContext leader = job(a).runs() > 0 ? a : b;
      ConfigurableApplicationContext follower = leader == a ? b : a;
      long token = leader.getBean(ElectorCandidate.class).validTerm().orElseThrow().token();
      TestApp.WholeTerm task = leader.getBean(TestApp.WholeTerm.class);
      await().atMost(WAIT).until(() -> task.started.size() == 1);
      assertThat(task.started.get(0).token()).isEqualTo(token);
      assertThat(follower.getBean(TestApp.WholeTerm.class).started).isEmpty();

      long session = leader.getBean(ElectionClient.class).sessionId();
      MemCluster mem = MemCluster.named(cluster);
      assertThat(mem.partition(session)).isTrue();
      try {
        await().atMost(WAIT).untilAsserted(() -> {
          JsonNode health = Http.electorHealth(leader);
          assertThat(health.get("details").get("session").asString()).isEqualTo("SUSPENDED");
          assertThat(health.get("status").asString()).isEqualTo("UNKNOWN");
          assertThat(health.get("details").get("leader").asBoolean()).isFalse();
        });
        assertThat(leader.getBean(ElectionClient.class).sessionState()).isEqualTo(SessionState.SUSPENDED);
        await().atMost(WAIT).until(() -> task.interrupted.size() == 1);
        assertThat(events(leader).seen).last().isInstanceOfSatisfying(LeadershipRevokedEvent.class, e -> {
          assertThat(e.token()).isEqualTo(token);
          assertThat(e.reason()).isEqualTo(EndReason.SESSION_SUSPENDED);
        });
        MeterRegistry meters = leader.getBean(MeterRegistry.class);
        assertThat(meters.get(ElectorMetrics.SESSION_SUSPENSIONS).counter().count()).isEqualTo(1);
        assertThat(meters.get(ElectorMetrics.TERMS_ENDED).tag("reason", "session_suspended").counter().count())
            .isEqualTo(1);
        assertThat(meters.get(ElectorMetrics.LEADER).gauge().value()).isZero();
        assertThat(meters.get(ElectorMetrics.SESSION_STATE).tag("state", "suspended").gauge().value()).isEqualTo(1);

        // The follower still sees the leader's ticket first in line until the session expires; its job waits.
        // Expiring the session now hands the job over.
        int leaderRuns = job(leader).runs();
        assertThat(mem.expire(session)).isTrue();
        await().atMost(WAIT).until(() -> job(follower).runs() > 0);
        assertThat(job(leader).runs()).isEqualTo(leaderRuns);
        assertThat(follower.getBean(MeterRegistry.class).get(ElectorMetrics.TERMS_STARTED).counter().count())
            .isEqualTo(1);
      } finally {
        mem.heal(session);
      }
      await().atMost(WAIT).untilAsserted(() -> {
        JsonNode health = Http.electorHealth(leader);
        assertThat(health.get("details").get("session").asString()).isEqualTo("CONNECTED");
        assertThat(health.get("status").asString()).isEqualTo("UP");
        assertThat(health.get("details").get("currentLeader").asString()).isEqualTo(
            follower.getBean(ElectorCandidate.class).candidateId());
      });
      assertThat(leader.getBean(MeterRegistry.class).get(ElectorMetrics.SESSION_EXPIRATIONS).counter().count())
          .isEqualTo(1);
      assertThat(job(leader).runsWithoutValidTerm() + job(follower).runsWithoutValidTerm()).isZero();
    }
  }

  private static String[] with(String[] common, String more) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of(more))
        .toArray(String[]::new);
  }

  private static TestApp.Job job(ConfigurableApplicationContext c) {
    return c.getBean(TestApp.Job.class);
  }

  private static TestApp.Events events(ConfigurableApplicationContext c) {
    return c.getBean(TestApp.Events.class);
  }

}
