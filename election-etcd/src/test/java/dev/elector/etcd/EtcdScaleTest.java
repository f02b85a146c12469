package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Participant;
import dev.elector.SessionState;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's scale shapes, small enough for every build, as liveness checks (the timings are measured by
 * {@link EtcdScaleMeasurementTest} and the benchmark, never asserted): thousands of elections on one session must
 * not starve its lease renewals, and thousands of candidates in one election must not keep it leaderless.
 */
class EtcdScaleTest {
  private static final int N = 2_000;
  private static final Pattern WATCHERS = Pattern.compile("^etcd_debugging_mvcc_watcher_total (\\d+)",
      Pattern.MULTILINE);
  static EtcdCluster etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdCluster.start(1);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static String uri(String root) {
    return "etcd://" + etcd.endpoint(0) + "/" + root + "?sessionTimeout=4s&connectTimeout=5s&operationTimeout=3s";
  }

  /** The server's count of watchers, from its metrics (plain HTTP/1.0 on the client port, closed at once). */
  private static long watchers() throws Exception {
    String endpoint = etcd.endpoint(0);
    String metrics;
    try (Socket s = new Socket()) {
      int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      metrics = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher m = WATCHERS.matcher(metrics);
    if (!m.find()) {
      throw new IllegalStateException("etcd reports no etcd_debugging_mvcc_watcher_total");
    }
    return Long.parseLong(m.group(1));
  }

  @Test
  void twoThousandElectionsOnOneSessionAllElectAndTheSessionNeverFalters() throws Exception {
    String root = EtcdCluster.unique("scale-many");
    List<SessionState> events = new CopyOnWriteArrayList<>();
    long watchersBefore = watchers();
    try (ElectionClient client = Elections.connect(uri(root))) {
      client.addSessionListener(Runnable::run, (state, id) -> events.add(state));
      List<Candidate> candidates = new ArrayList<>(N);
      for (int i = 0; i < N; i++) {
        candidates.add(client.election("e" + i).join("m" + i));
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> candidates.stream().allMatch(Candidate::isLeader));
      // One lease for all of them, kept alive throughout: no SUSPENDED, no EXPIRED.
      assertThat(events).doesNotContain(SessionState.SUSPENDED, SessionState.EXPIRED);
      assertThat(client.sessionState()).isEqualTo(SessionState.CONNECTED);
      // One watch for the session, not one per election (each a gRPC stream on the session's one connection).
      assertThat(watchers() - watchersBefore).isLessThanOrEqualTo(1);
      assertThat(candidates).allSatisfy(c -> assertThat(c.leadership()).hasValueSatisfying(
          t -> assertThat(t.isValid()).isTrue()));
    }
  }

  @Test
  void twoThousandCandidatesInOneElectionElectALeaderAndHandOverInOrder() throws Exception {
    String root = EtcdCluster.unique("scale-one");
    int sessions = 4;
    List<ElectionClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < sessions; i++) {
        clients.add(Elections.connect(uri(root)));
      }
      Map<String, Candidate> byId = new HashMap<>();
      for (int i = 0; i < N; i++) {
        String id = "c" + i;
        byId.put(id, clients.get(i % sessions).election("one").join(id));
      }
      ElectionClient reader = clients.get(0);
      for (int handoff = 0; handoff < 5; handoff++) {
        // The leader is whoever heads the line; it must get there well within this liveness bound (the first one's
        // includes joining them all).
        Participant head = await().atMost(Duration.ofSeconds(handoff == 0 ? 20 : 10))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> reader.election("one").leader().toCompletableFuture().get(5, TimeUnit.SECONDS),
                Optional::isPresent).orElseThrow();
        Candidate leader = byId.get(head.candidateId());
        assertThat(leader.awaitLeadership(Duration.ofSeconds(10)).token()).isEqualTo(head.token());
        assertThat(byId.values().stream().filter(Candidate::isLeader)).hasSize(1);
        leader.close();
        byId.remove(head.candidateId());
      }
      assertThat(reader.election("one").participants().toCompletableFuture().get(10, TimeUnit.SECONDS))
          .hasSize(N - 5);
      for (ElectionClient c : clients) {
        assertThat(c.sessionState()).isEqualTo(SessionState.CONNECTED);
      }
    } finally {
      clients.forEach(ElectionClient::close);
    }
  }
}
