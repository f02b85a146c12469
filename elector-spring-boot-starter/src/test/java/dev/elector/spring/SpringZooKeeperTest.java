package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ElectionClient;
import dev.elector.EndReason;
import dev.elector.micrometer.ElectorMetrics;
import dev.elector.testservers.InProcessZooKeeper;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Three instances of one application (two with a web server on a random port) sharing a real in-process ZooKeeper:
 * exactly one runs the leader-only job, the job moves when the leader's context closes, the health endpoint says
 * what the client sees, events are published and meters count what happened.
 */
class SpringZooKeeperTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static InProcessZooKeeper zk;
  private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

  @BeforeAll
  static void startZooKeeper() throws Exception {
    zk = InProcessZooKeeper.start();
  }

  @AfterAll
  static void stopZooKeeper() throws Exception {
    zk.close();
  }

  private ConfigurableApplicationContext start(String id, boolean web) {
    ConfigurableApplicationContext c = TestApp.start(web, "elector.connect=zookeeper://" + zk.endpoint() + "/spring-it?sessionTimeout=4s",
        "elector.election=jobs", "elector.candidate-id=" + id, "elector.data=" + id + "-data");
    contexts.add(c);
    return c;
  }

  @Test
  void oneInstanceRunsTheJobUntilItStopsThenAnotherDoes() throws Exception {
    try {
      ConfigurableApplicationContext a = start("a", true);
      // a joins first, so a web instance leads and can show that it resigns before its web server stops
      await().atMost(WAIT).until(() -> a.getBean(ElectorCandidate.class).isLeader());
      ConfigurableApplicationContext b = start("b", true);
      ConfigurableApplicationContext c = start("c", false);
      List<ConfigurableApplicationContext> all = List.of(a, b, c);

      await().atMost(WAIT).until(() -> all.stream().mapToInt(x -> job(x).runs()).sum() >= 5);
      ConfigurableApplicationContext leader = all.stream().filter(x -> job(x).runs() > 0).findFirst().orElseThrow();
      ElectorCandidate leaderCandidate = leader.getBean(ElectorCandidate.class);
      assertThat(leaderCandidate.isLeader()).isTrue();
      for (ConfigurableApplicationContext x : all) {
        if (x != leader) {
          assertThat(job(x).runs()).as("runs of a follower").isZero();
          assertThat(x.getBean(ElectorCandidate.class).isLeader()).isFalse();
        }
      }
      long token = leaderCandidate.validTerm().orElseThrow().token();
      assertThat(job(leader).terms()).allMatch(t -> t.token() == token);
      assertThat(events(leader).seen).first().isInstanceOfSatisfying(LeadershipGrantedEvent.class,
          e -> assertThat(e.token()).isEqualTo(token));

      // The health endpoint, over HTTP, reports the session the client sees and who leads.
      for (ConfigurableApplicationContext web : List.of(a, b)) {
        JsonNode health = Http.electorHealth(web);
        ElectorCandidate candidate = web.getBean(ElectorCandidate.class);
        assertThat(health.get("status").asString()).isEqualTo("UP");
        assertThat(health.get("details").get("session").asString())
            .isEqualTo(web.getBean(ElectionClient.class).sessionState().name()).isEqualTo("CONNECTED");
        assertThat(health.get("details").get("candidateId").asString()).isEqualTo(candidate.candidateId());
        assertThat(health.get("details").get("leader").asBoolean()).isEqualTo(web == leader);
        assertThat(health.get("details").get("currentLeader").asString()).isEqualTo(leaderCandidate.candidateId());
      }

      // The leader's context closes: its term ends (event, meters), and another instance takes the job.
      MeterRegistry oldMeters = leader.getBean(MeterRegistry.class);
      TestApp.Events oldEvents = events(leader);
      TestApp.Job oldJob = job(leader);
      leader.close();
      contexts.remove(leader);
      assertThat(oldEvents.seen).last().isInstanceOfSatisfying(LeadershipRevokedEvent.class, e -> {
        assertThat(e.token()).isEqualTo(token);
        assertThat(e.reason()).isEqualTo(EndReason.CLOSED);
      });
      assertThat(oldEvents.statusWhenRevoked).as("own health endpoint when the term ended").containsExactly(200);
      // Spring Boot closes its registries on ContextClosedEvent, before lifecycles stop: the term that ends with the
      // context is not counted (the mem test counts a term ended while the context runs).
      assertThat(oldMeters.get(ElectorMetrics.TERMS_STARTED).counter().count()).isEqualTo(1);
      int oldRuns = oldJob.runs();

      List<ConfigurableApplicationContext> rest = new ArrayList<>(contexts);
      await().atMost(WAIT).until(() -> rest.stream().anyMatch(x -> job(x).runs() > 0));
      ConfigurableApplicationContext next = rest.stream().filter(x -> job(x).runs() > 0).findFirst().orElseThrow();
      ConfigurableApplicationContext other = rest.get(rest.get(0) == next ? 1 : 0);
      assertThat(job(other).runs()).isZero();
      assertThat(oldJob.runs()).isEqualTo(oldRuns);
      long nextToken = next.getBean(ElectorCandidate.class).validTerm().orElseThrow().token();
      assertThat(nextToken).isGreaterThan(token);
      assertThat(events(next).seen).singleElement().isInstanceOfSatisfying(LeadershipGrantedEvent.class,
          e -> assertThat(e.token()).isEqualTo(nextToken));
      MeterRegistry nextMeters = next.getBean(MeterRegistry.class);
      assertThat(nextMeters.get(ElectorMetrics.TERMS_STARTED).counter().count()).isEqualTo(1);
      assertThat(nextMeters.get(ElectorMetrics.LEADER).gauge().value()).isEqualTo(1);
      assertThat(other.getBean(MeterRegistry.class).get(ElectorMetrics.LEADER).gauge().value()).isZero();
      assertThat(nextMeters.get(ElectorMetrics.SESSION_STATE).tag("state", "connected").gauge().value()).isEqualTo(1);
      assertThat(oldJob.runsWithoutValidTerm()).isZero();
      for (ConfigurableApplicationContext x : rest) {
        assertThat(job(x).runsWithoutValidTerm()).isZero();
      }
    } finally {
      contexts.forEach(ConfigurableApplicationContext::close);
    }
  }

  private static TestApp.Job job(ConfigurableApplicationContext c) {
    return c.getBean(TestApp.Job.class);
  }

  private static TestApp.Events events(ConfigurableApplicationContext c) {
    return c.getBean(TestApp.Events.class);
  }
}
