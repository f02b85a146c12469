package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No herd: a handoff wakes the successor's session only. Counted by the server: the watch events it sent
 * ({@code etcd_debugging_mvcc_events_total}) from just before the leader leaves until its successor leads, which
 * covers every event of the delete (etcd sends them all as it applies the delete, before the successor can hear).
 */
class EtcdHerdTest {
  private static final String EVENTS = "etcd_debugging_mvcc_events_total";
  private static final int SESSIONS = 4;
  private static final int CANDIDATES = 12;
  private static final int HANDOFFS = 6;
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  @Test
  void aHandoffSendsOneWatchEventNotOnePerSession() throws Exception {
    String uri = "etcd://" + etcd.endpoint(0) + "/" + EtcdCluster.unique("herd")
        + "?sessionTimeout=3s&connectTimeout=3s";
    List<ElectionClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < SESSIONS; i++) {
        clients.add(Elections.connect(uri));
      }
      // Round-robin over the sessions: every candidate's predecessor is on another session.
      List<Candidate> line = new ArrayList<>();
      for (int i = 0; i < CANDIDATES; i++) {
        Candidate c = clients.get(i % SESSIONS).election("e").join("c" + i);
        c.joined().toCompletableFuture().get(10, TimeUnit.SECONDS);
        line.add(c);
      }
      Leadership term = line.get(0).awaitLeadership(Duration.ofSeconds(10));
      assertThat(term).isNotNull();
      List<Long> perHandoff = new ArrayList<>();
      for (int h = 0; h < HANDOFFS; h++) {
        Candidate next = line.get(h + 1);
        long before = etcd.metric(0, EVENTS);
        line.get(h).close();
        assertThat(next.awaitLeadership(Duration.ofSeconds(10))).as("c" + (h + 1) + " leads").isNotNull();
        perHandoff.add(etcd.metric(0, EVENTS) - before);
      }
      System.out.println("etcd herd: watch events per handoff " + perHandoff + " (" + CANDIDATES + " candidates on "
          + SESSIONS + " sessions)");
      // One event per handoff: the successor's watch on its predecessor. A session-wide watch sent one per session
      // (4 here). Slack of one event in all for the leaver's own-key watch, whose cancel may, rarely, reach the
      // server after the delete it precedes.
      assertThat(perHandoff.stream().mapToLong(Long::longValue).sum()).isLessThanOrEqualTo(HANDOFFS + 1L);
      assertThat(perHandoff).allMatch(n -> n >= 1);
    } finally {
      for (ElectionClient c : clients) {
        c.close();
      }
    }
  }
}
