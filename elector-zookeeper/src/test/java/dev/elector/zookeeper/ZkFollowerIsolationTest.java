package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.tck.History;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leader whose client talks only to a follower that is cut off from the ensemble's leader.
 * The ensemble's leader expires the session after the session timeout (no touches arrive from the follower) and a
 * successor is elected, while the cut-off follower keeps answering its clients for {@code syncLimit × tickTime}
 * (10 s here). A heartbeat that the follower answers alone keeps the old term valid all that time; one that must go
 * through the ensemble's leader ({@code sync}) lets it lapse before the expiry.
 */
class ZkFollowerIsolationTest {
  /** tickTime 500 ms, syncLimit 20: the isolated follower serves for 10 s, far past the 2 s session. */
  private static final ZkProcessEnsemble.Settings SETTINGS = ZkProcessEnsemble.Settings.of(500, 20);
  private static final Duration SESSION = Duration.ofSeconds(2);
  private static final String ELECTION = "isolated";

  private ZkProcessEnsemble ensemble;

  @BeforeEach
  void start() throws Exception {
    ensemble = ZkProcessEnsemble.start(3, SETTINGS);
  }

  @AfterEach
  void stop() throws Exception {
    ensemble.close();
  }

  private ClientConfig config(int member) {
    return ClientConfig.builder("zookeeper").endpoints(List.of(ensemble.endpoint(member))).root("/isolation")
        .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void leaderOnIsolatedFollowerEndsBeforeSuccessorStarts() throws Exception {
    int clusterLeader = ensemble.leaderMember().orElseThrow(() -> new AssertionError("no ensemble leader"));
    int follower = (clusterLeader + 1) % 3;
    int other = (clusterLeader + 2) % 3;
    try (History history = new History();
        ElectionClient onFollower = Elections.connect(config(follower));
        ElectionClient onOther = Elections.connect(config(other))) {
      Candidate a = onFollower.election(ELECTION).candidate("a")
          .listener(history.callbackExecutor(), history.listener(ELECTION, "a")).join();
      await("a leads", Duration.ofSeconds(10), a::isLeader);
      Candidate b = onOther.election(ELECTION).candidate("b")
          .listener(history.callbackExecutor(), history.listener(ELECTION, "b")).join();
      Leadership held = a.leadership().orElseThrow();

      ensemble.isolate(follower);
      long cut = System.nanoTime();
      await("a successor on member " + other, SESSION.plusSeconds(20), b::isLeader);
      double electedAfterMs = (System.nanoTime() - cut) / 1e6;
      // The window is real only if the isolated member still serves its clients when the successor is elected.
      String modeThen = ensemble.mode(follower);
      await("the old term's end", Duration.ofSeconds(30), () -> !held.isValid());
      double oldEndedAfterMs = (System.nanoTime() - cut) / 1e6;

      history.close("a", a);
      history.close("b", b);
      history.awaitQuiescence(Duration.ofSeconds(10));
      List<History.TermRecord> terms = history.terms();
      History.TermRecord old = terms.stream().filter(t -> t.label().equals("a")).findFirst().orElseThrow();
      History.TermRecord next = terms.stream().filter(t -> t.label().equals("b")).findFirst().orElseThrow();
      double margin = next.startMs() - old.lastValidMs();
      System.out.printf("follower isolation: member %d cut off (ensemble leader %d); successor elected %.0f ms after "
              + "the cut while the cut-off member reported mode '%s'; old term invalid %.0f ms after the cut; "
              + "successor start - old term's last valid instant = %.0f ms (negative: overlap)%n",
          follower, clusterLeader, electedAfterMs, modeThen, oldEndedAfterMs, margin);
      assertThat(modeThen).as("the isolated member still serves when the successor is elected").isEqualTo("follower");
      history.assertValid();
      assertThat(margin).as("the old term ended before its successor began").isPositive();
    } finally {
      ensemble.rejoin(follower);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(5);
    }
  }
}
