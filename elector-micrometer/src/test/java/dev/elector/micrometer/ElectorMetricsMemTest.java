package dev.elector.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Subscription;
import dev.elector.mem.MemCluster;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The meters count what happened, on the mem backend, read from a real SimpleMeterRegistry. */
class ElectorMetricsMemTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<Subscription> bindings = new ArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private String cluster;

  @BeforeEach
  void setUp() {
    cluster = "metrics-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown() {
    bindings.forEach(Subscription::cancel);
    clients.forEach(ElectionClient::close);
    registry.close();
  }

  private ElectionClient client() {
    ElectionClient c = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/m")
        .sessionTimeout(Duration.ofSeconds(2)).operationTimeout(Duration.ofSeconds(1)).build());
    clients.add(c);
    return c;
  }

  private double gauge(String name, String... tags) {
    var g = registry.find(name).tags(tags).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private double count(String name, String... tags) {
    var c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private long timerCount(String name, String... tags) {
    var t = registry.find(name).tags(tags).timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void candidateMetersCountTermsByReasonAndTheHandoff() throws Exception {
    ElectorMetrics metrics = ElectorMetrics.builder(registry).tags(Tags.of("app", "test")).candidateIdTags(true)
        .build();
    ElectionClient c1 = client();
    ElectionClient c2 = client();
    Candidate a = c1.election("jobs").join("a");
    a.awaitLeadership(WAIT);
    Candidate b = c2.election("jobs").join("b");
    bindings.add(metrics.bind(a));
    bindings.add(metrics.bind(b));
    await().atMost(WAIT).until(() -> count(ElectorMetrics.TERMS_STARTED, "candidate", "a") == 1);
    assertThat(gauge(ElectorMetrics.LEADER, "election", "jobs", "candidate", "a", "app", "test")).isEqualTo(1);
    assertThat(gauge(ElectorMetrics.LEADER, "candidate", "b")).isEqualTo(0);

    a.resign().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    b.awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> count(ElectorMetrics.TERMS_STARTED, "candidate", "b") == 1);
    assertThat(count(ElectorMetrics.TERMS_ENDED, "candidate", "a", "reason", "resigned")).isEqualTo(1);
    assertThat(timerCount(ElectorMetrics.TERM_DURATION, "candidate", "a", "reason", "resigned")).isEqualTo(1);
    assertThat(timerCount(ElectorMetrics.HANDOFF, "candidate", "b")).as("a's end was seen in this process")
        .isEqualTo(1);
    assertThat(gauge(ElectorMetrics.LEADER, "candidate", "b")).isEqualTo(1);
    assertThat(gauge(ElectorMetrics.LEADER, "candidate", "a")).isEqualTo(0);

    b.close();
    await().atMost(WAIT).until(() -> count(ElectorMetrics.TERMS_ENDED, "candidate", "b", "reason", "closed") == 1);
  }

  @Test
  void withoutOptInCandidatesShareMetersWithNoCandidateTag() throws Exception {
    ElectorMetrics metrics = ElectorMetrics.builder(registry).build();
    Candidate a = client().election("shared").join("a");
    Candidate b = client().election("shared").join("b");
    bindings.add(metrics.bind(a));
    bindings.add(metrics.bind(b));
    await().atMost(WAIT).until(() -> count(ElectorMetrics.TERMS_STARTED, "election", "shared") == 1);
    assertThat(gauge(ElectorMetrics.LEADER, "election", "shared")).isEqualTo(1);
    assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("candidate")).isNull());
  }

  @Test
  void anObserverMeasuresTimeWithoutALeader() throws Exception {
    ElectorMetrics metrics = ElectorMetrics.builder(registry).build();
    ElectionClient c = client();
    bindings.add(metrics.observe(c.election("watched")));
    await().atMost(WAIT).until(() -> gauge(ElectorMetrics.ELECTION_LEADER_PRESENT, "election", "watched") == 0);
    await().atMost(WAIT).until(() -> registry.find(ElectorMetrics.ELECTION_LEADERLESS_CURRENT).timeGauge()
        .value(TimeUnit.NANOSECONDS) > 0);
    Candidate a = c.election("watched").join("a");
    a.awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> gauge(ElectorMetrics.ELECTION_LEADER_PRESENT, "election", "watched") == 1);
    assertThat(timerCount(ElectorMetrics.ELECTION_LEADERLESS, "election", "watched")).isEqualTo(1);
    assertThat(registry.find(ElectorMetrics.ELECTION_LEADERLESS_CURRENT).timeGauge().value()).isZero();
    a.close();
    await().atMost(WAIT).until(() -> gauge(ElectorMetrics.ELECTION_LEADER_PRESENT, "election", "watched") == 0);
    assertThat(count(ElectorMetrics.ELECTION_LEADER_CHANGES, "election", "watched")).isEqualTo(2);
  }

  @Test
  void sessionMetersFollowSuspensionsAndExpiries() throws Exception {
    ElectorMetrics metrics = ElectorMetrics.builder(registry).build();
    ElectionClient c = client();
    c.election("s").join("a").awaitLeadership(WAIT);
    bindings.add(metrics.bind(c));
    assertThat(gauge(ElectorMetrics.SESSION_STATE, "state", "connected", "backend", "mem")).isEqualTo(1);
    MemCluster.named(cluster).partition(c.sessionId());
    await().atMost(WAIT).until(() -> gauge(ElectorMetrics.SESSION_STATE, "state", "suspended") == 1);
    assertThat(gauge(ElectorMetrics.SESSION_STATE, "state", "connected")).isEqualTo(0);
    await().atMost(WAIT).until(() -> count(ElectorMetrics.SESSION_SUSPENSIONS) == 1);
    long id = c.sessionId();
    MemCluster.named(cluster).expire(id);
    MemCluster.named(cluster).heal(id);
    await().atMost(WAIT).until(() -> count(ElectorMetrics.SESSION_EXPIRATIONS) == 1);
    await().atMost(WAIT).until(() -> gauge(ElectorMetrics.SESSION_STATE, "state", "connected") == 1);
  }

  @Test
  void unbindingRemovesTheGauges() throws Exception {
    ElectorMetrics metrics = ElectorMetrics.builder(registry).build();
    ElectionClient c = client();
    Subscription s = metrics.bind(c.election("gone").join("a"));
    Subscription o = metrics.observe(c.election("gone"));
    Subscription cs = metrics.bind(c);
    assertThat(registry.find(ElectorMetrics.LEADER).gauge()).isNotNull();
    s.cancel();
    o.cancel();
    cs.cancel();
    assertThat(registry.find(ElectorMetrics.LEADER).gauge()).isNull();
    assertThat(registry.find(ElectorMetrics.ELECTION_LEADER_PRESENT).gauge()).isNull();
    assertThat(registry.find(ElectorMetrics.SESSION_STATE).gauge()).isNull();
  }
}
