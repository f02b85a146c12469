package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.InvalidInputException;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Candidates and observers through the public API ({@link Elections#connect}) on a real etcd. */
class EtcdElectionTest {
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private static String uri(String root) {
    return "etcd://" + etcd.endpoint(0) + "/" + root + "?sessionTimeout=2s&connectTimeout=3s";
  }

  @Test
  void candidatesTakeTurnsAndObserversSeeEveryLeaderAndNoLeader() throws Exception {
    String root = EtcdCluster.unique("api");
    try (ElectionClient c1 = Elections.connect(uri(root));
        ElectionClient c2 = Elections.connect(uri(root));
        ElectionClient watcher = Elections.connect(uri(root))) {
      List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
      var sub = watcher.election("jobs").observe(Runnable::run, seen::add);
      await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
      assertThat(seen.get(0)).isEmpty();

      Candidate a = c1.election("jobs").candidate("a").data("host-a").join();
      Leadership ta = a.awaitLeadership(Duration.ofSeconds(10));
      Candidate b = c2.election("jobs").join("b");
      await().atMost(Duration.ofSeconds(10)).until(() -> c2.election("jobs").participants().toCompletableFuture()
          .get(5, TimeUnit.SECONDS).size() == 2);
      assertThat(c2.election("jobs").participants().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .extracting(Participant::candidateId).containsExactly("a", "b");
      assertThat(c2.election("jobs").leader().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .hasValueSatisfying(p -> assertThat(p.dataAsString()).isEqualTo("host-a"));

      a.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(ta.isValid()).isFalse();
      assertThat(ta.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.RESIGNED);
      Leadership tb = b.awaitLeadership(Duration.ofSeconds(10));
      assertThat(tb.token()).isGreaterThan(ta.token());
      // Resign goes to the back: a is in line behind b.
      await().atMost(Duration.ofSeconds(10)).until(() -> c1.election("jobs").participants().toCompletableFuture()
          .get(5, TimeUnit.SECONDS).stream().map(Participant::candidateId).toList().equals(List.of("b", "a")));

      b.close();
      Leadership again = a.awaitLeadership(Duration.ofSeconds(10));
      assertThat(again.token()).isGreaterThan(tb.token());
      a.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(seen.size() - 1).isEmpty() && seen.size() >= 4);
      sub.cancel();
      List<Long> tokens = seen.stream().flatMap(Optional::stream).map(Participant::token).toList();
      assertThat(tokens).isSorted().contains(ta.token(), tb.token(), again.token());
    }
  }

  /**
   * A client cut off from etcd closes within its session timeout, not its (much longer) operation timeout: past the
   * session deadline nothing it could still send would matter, as etcd expires the lease by itself. The term has
   * ended when close() returns (rule 1.6).
   */
  @Test
  void aClientCutOffFromEtcdClosesWithinItsSessionTimeout() throws Exception {
    String root = EtcdCluster.unique("cut-close");
    try (FaultProxy proxy = FaultProxy.start(etcd.endpoint(0))) {
      ElectionClient client = Elections.connect("etcd://" + proxy.endpoint() + "/" + root
          + "?sessionTimeout=3s&connectTimeout=3s&operationTimeout=30s");
      Candidate a = client.election("jobs").join("a");
      Leadership term = a.awaitLeadership(Duration.ofSeconds(10));
      proxy.partition();
      long start = System.nanoTime();
      client.close();
      double closeMs = (System.nanoTime() - start) / 1e6;
      System.out.printf("etcd: close() of a client cut off from etcd took %.0f ms (session 3 s, operation 30 s)%n",
          closeMs);
      assertThat(term.isValid()).isFalse();
      assertThat(closeMs).as("close() of a cut-off client, ms").isLessThan(3_000 + 2_000);
    }
  }

  @Test
  void aSessionTimeoutEtcdCannotGrantIsRejectedWithTheReason() {
    assertThatThrownBy(() -> Elections.connect("etcd://" + etcd.endpoint(0) + "/x?sessionTimeout=1s"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("sessionTimeout").hasMessageContaining("2 seconds");
    assertThatThrownBy(() -> Elections.connect("etcd://" + etcd.endpoint(0) + "/x?colour=blue"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("colour");
  }
}
