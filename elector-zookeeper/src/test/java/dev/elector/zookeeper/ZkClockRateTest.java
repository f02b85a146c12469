package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.ClientConfig;
import dev.elector.tck.StepDownMargins;
import dev.elector.testservers.FakeClock;
import java.time.Duration;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;

/**
 * Rule 1.1 when the ZooKeeper server's clock runs faster than the client's. The server expires a silent session on
 * its own clock, so a server whose clock runs 5 % fast expires a cut-off leader's session about 95 ms sooner, at a
 * 2 s timeout, than the client's clock says. The session deadline's margin (timeout / 10, {@code SessionClock}) is
 * meant to cover a server clock up to 11 % fast: the cut-off leader must still step down before its successor is
 * elected. The server is a child JVM under libfaketime ({@code FakeClock}). This backend's deadline counts from the
 * heartbeat before the last answered one, about a third of a timeout earlier than the last touch the server saw, so
 * it covers more than the margin alone: when this test was written it passed at x1.25 (margins 241-323 ms) and
 * failed by rule 1.1 at x1.5 and x2 ({@code -Delector.zk.clockRate=1.5}).
 */
class ZkClockRateTest {
  private static final double RATE = Double.parseDouble(System.getProperty("elector.zk.clockRate", "1.05"));
  private static final int ROUNDS = Integer.getInteger("elector.zk.clockRateRounds", 2);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @Test
  void aCutOffLeaderStepsDownBeforeItsSuccessorWhenTheServerClockRunsFast() throws Exception {
    StepDownMargins.Result r;
    double seen;
    try (ZkProcessEnsemble zk = ZkProcessEnsemble.startWithClockRate(RATE, ZkProcessEnsemble.Settings.of(200, 10))) {
      seen = clockRate(zk.endpoint(0));
      // Half way from 1 to the rate at least: a server without libfaketime (x1.00) never passes.
      assertThat(seen).as("the server clock's rate: the fault is not in force")
          .isGreaterThan(1 + (RATE - 1) / 2).isLessThan(RATE + (RATE - 1) / 2);
      r = StepDownMargins.measure(zk.endpoint(0), ZkClockRateTest::config, "fast-clock", ROUNDS, 0);
    }
    System.out.printf("ZooKeeper clock at x%.2f (measured x%.3f), session timeout %d ms, %d rounds: %s%n", RATE,
        seen, TIMEOUT.toMillis(), ROUNDS, r);
    assertThat(r.smallest())
        .as("rule 1.1: with the server clock at x%.2f the successor was elected %d ms before the cut-off leader "
            + "stepped down (%s)", RATE, -r.smallest(), r)
        .isPositive();
  }

  private static ClientConfig config(String endpoint) {
    return ClientConfig.builder("zookeeper").endpoints(endpoint).root("/zk-clock-rate").sessionTimeout(TIMEOUT)
        .build();
  }

  /** The server's wall clock against this host's, over two seconds, from the modification times it gives a znode. */
  private static double clockRate(String endpoint) throws Exception {
    ZooKeeper zk = new ZooKeeper(endpoint, (int) TIMEOUT.toMillis(), e -> { });
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!zk.getState().isConnected()) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("no connection to the ZooKeeper server at " + endpoint + " within 10 s");
        }
        Thread.sleep(10);
      }
      zk.create("/clock-rate", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
      return FakeClock.measureRate(() -> zk.setData("/clock-rate", new byte[0], -1).getMtime() / 1e3,
          Duration.ofSeconds(2));
    } finally {
      zk.close();
    }
  }
}
