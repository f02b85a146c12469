package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.ClientConfig;
import dev.elector.spi.SessionEvent;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Members with different session limits (a rolling change of {@code maxSessionTimeout}). The
 * member a session reconnects to grants the timeout anew, and the ensemble's leader expires the session by the
 * timeout its current member reports in its touches, so the client's deadline must follow the smaller grant.
 */
class ZkNegotiatedTimeoutTest {
  private static final Duration ASKED = Duration.ofSeconds(4);
  private static final int SMALL_GRANT_MILLIS = 1500;

  private ZkProcessEnsemble ensemble;

  @BeforeEach
  void start() throws Exception {
    ensemble = ZkProcessEnsemble.start(
        new ZkProcessEnsemble.Settings(250, 5, 500, 4000),
        new ZkProcessEnsemble.Settings(250, 5, 500, SMALL_GRANT_MILLIS),
        new ZkProcessEnsemble.Settings(250, 5, 500, 4000));
  }

  @AfterEach
  void stop() throws Exception {
    ensemble.close();
  }

  @Test
  void theDeadlineFollowsASmallerGrantAfterMovingToAnotherMember() throws Exception {
    ensemble.withMemberLogs(this::moveToTheSmallerGrant);
  }

  private void moveToTheSmallerGrant() throws Exception {
    FaultProxy toLarge = FaultProxy.start(ensemble.endpoint(0));
    FaultProxy toSmall = FaultProxy.start(ensemble.endpoint(1));
    try (ZkBackends fx = new ZkBackends(null)) {
      toSmall.partition(); // the session begins on the member that grants 4 s
      ClientConfig config = ClientConfig.builder("zookeeper").endpoints(List.of(toLarge.endpoint(),
              toSmall.endpoint())).root("/timeouts").sessionTimeout(ASKED).connectTimeout(Duration.ofSeconds(20))
          .operationTimeout(Duration.ofSeconds(5)).build();
      Recorder events = new Recorder();
      ZkBackend backend = fx.backend(config, events);
      long session = backend.sessionId();
      long leadOnLarge = backend.sessionDeadline() - System.nanoTime();

      toSmall.heal();
      toLarge.close(); // refused: the client moves to the other member at once, well within the session
      ZkFollowerIsolationTest.await("RECOVERED on the member granting " + SMALL_GRANT_MILLIS + " ms",
          Duration.ofSeconds(20), () -> events.kinds().contains(SessionEvent.Kind.RECOVERED));
      assertThat(backend.sessionId()).as("the same session, not a new one").isEqualTo(session);
      long maxLead = 0;
      long end = System.nanoTime() + Duration.ofMillis(3 * SMALL_GRANT_MILLIS).toNanos();
      while (System.nanoTime() - end < 0) {
        // The clock is read before the deadline: a lead computed this way never understates the backend's.
        long now = System.nanoTime();
        maxLead = Math.max(maxLead, backend.sessionDeadline() - now);
        Thread.sleep(2);
      }
      System.out.printf("negotiated timeout: deadline lead %.0f ms on the 4 s member; at most %.0f ms after moving to "
          + "the member granting %d ms%n", leadOnLarge / 1e6, maxLead / 1e6, SMALL_GRANT_MILLIS);
      assertThat(maxLead / 1e6).as("deadline lead after the move, ms").isLessThanOrEqualTo(SMALL_GRANT_MILLIS);
    } finally {
      toLarge.close();
      toSmall.close();
    }
  }
}
