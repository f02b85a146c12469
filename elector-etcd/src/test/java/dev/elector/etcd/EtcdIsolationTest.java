package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One member of a three-member etcd cut off from the other two (all peer traffic, both ways) while a leader's client
 * stays connected to it: the leader must step down before a successor, whose client talks to another member, is
 * elected. The isolated member can no longer renew the lease through Raft, so the leader's renewals fail and its
 * deadline passes; the majority expires the lease and elects the successor. Checked exactly: the successor's
 * {@code elected} callback asks the old term {@code isValid()}. Run with the isolated member leading the Raft group
 * and following it. Also proves {@link PeerNet}'s cut, which ClusterFaults' member-isolation scenario relies on.
 */
class EtcdIsolationTest {
  private static final Duration SESSION = Duration.ofSeconds(3);
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** One cluster for both cases: each rejoins its member and waits for every member to be healthy. */
  static EtcdCluster etcd;

  @BeforeAll
  static void start() {
    etcd = EtcdCluster.startIsolatable(3);
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private ElectionClient connect(int member, String root) {
    return Elections.connect(ClientConfig.builder("etcd").endpoints(List.of(etcd.endpoint(member))).root(root)
        .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(3))
        .build());
  }

  @Test
  void aLeaderOnAnIsolatedRaftLeaderStepsDownBeforeItsSuccessorIsElected() throws Exception {
    OptionalInt leader = OptionalInt.empty();
    long end = System.nanoTime() + WAIT.toNanos();
    while (leader.isEmpty() && System.nanoTime() - end < 0) {
      leader = etcd.leader();
    }
    assertThat(leader).isPresent();
    isolate(leader.getAsInt());
  }

  @Test
  void aLeaderOnAnIsolatedFollowerStepsDownBeforeItsSuccessorIsElected() throws Exception {
    OptionalInt leader = OptionalInt.empty();
    long end = System.nanoTime() + WAIT.toNanos();
    while (leader.isEmpty() && System.nanoTime() - end < 0) {
      leader = etcd.leader();
    }
    assertThat(leader).isPresent();
    isolate((leader.getAsInt() + 1) % 3);
  }

  private void isolate(int x) throws Exception {
    int y = (x + 1) % 3;
    String root = "/" + EtcdCluster.unique("isolate");
    try (ElectionClient cx = connect(x, root); ElectionClient cy = connect(y, root)) {
      Candidate a = cx.election("e").join("a");
      Leadership ta = a.awaitLeadership(WAIT);
      CompletableFuture<Boolean> oldValidAtElection = new CompletableFuture<>();
      CompletableFuture<Long> electedAt = new CompletableFuture<>();
      Candidate b = cy.election("e").candidate("b").listener(Runnable::run, new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          oldValidAtElection.complete(ta.isValid());
          electedAt.complete(System.nanoTime());
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {}
      }).join();
      await().atMost(WAIT).until(() -> cy.election("e").participants().toCompletableFuture()
          .get(5, TimeUnit.SECONDS).stream().map(Participant::candidateId).toList().equals(List.of("a", "b")));

      long cut = System.nanoTime();
      etcd.isolate(x);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> !ta.isValid());
      long stepDown = System.nanoTime();
      boolean overlap = oldValidAtElection.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long elected = electedAt.get();
      System.out.printf("isolated member %d (Raft leader after the cut: %s): leader stepped down %.0f ms after the cut, successor "
          + "elected %.0f ms after the cut (margin %.0f ms)%n", x, etcd.leader(), (stepDown - cut) / 1e6,
          (elected - cut) / 1e6, (elected - stepDown) / 1e6);
      assertThat(overlap).as("the old leader was still valid when its successor was elected").isFalse();
      etcd.rejoin(x);
      b.close();
      a.close();
    }
  }
}
