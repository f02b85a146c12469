package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Participant;
import dev.elector.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The benchmark's scale shapes, small enough for every build, as liveness checks (the timings are measured by
 * {@link EtcdScaleMeasurementTest} and the benchmark, never asserted): thousands of elections on one session must
 * not starve its lease renewals, and thousands of candidates in one election must not keep it leaderless.
 */
class EtcdScaleTest {
  private static final int N = 2_000;
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private static String uri(String root) {
    return "etcd://" + etcd.endpoint(0) + "/" + root + "?sessionTimeout=4s&connectTimeout=5s&operationTimeout=3s";
  }

  /** The server's count of watch streams: jetcd opens one per {@code Watcher}, each an HTTP/2 stream. */
  private static long watchStreams() throws Exception {
    return etcd.metric(0, "etcd_debugging_mvcc_watch_stream_total");
  }

  private static long watchers() throws Exception {
    return etcd.metric(0, "etcd_debugging_mvcc_watcher_total");
  }

  @Test
  void twoThousandElectionsOnOneSessionAllElectAndTheSessionNeverFalters() throws Exception {
    String root = EtcdCluster.unique("scale-many");
    List<SessionState> events = new CopyOnWriteArrayList<>();
    long streamsBefore = watchStreams();
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
      // One watch stream for the session, not one per election: thousands of gRPC streams on the session's one
      // connection starved its renewals. The stream carries a watch per ticket (its own key).
      assertThat(watchStreams() - streamsBefore).isLessThanOrEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> watchers() - watchersBefore == N);
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
