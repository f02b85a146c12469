package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.ElectorTimeoutException;
import dev.elector.LeaderTask;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Tag;

/**
 * Measures how long a leader-only task ({@link LeaderWork}) keeps running after its term ends, on ZooKeeper, for a
 * task that honours interruption and for one that does not, when the term ends by resign (an event) and by a cut-off
 * (the deadline). The term's end is the first instant {@code isValid()} is false, polled every 0.1 ms; the task's
 * end is when it returned. Timings are printed, never asserted; the tests assert that each task did return. Run with
 * {@code ./mvnw -o -pl elector-zookeeper -am test -Dtest=ZkLeaderWorkMeasurementTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Pmeasure}.
 */
@Tag("measurement")
class ZkLeaderWorkMeasurementTest {
  /** The stubborn task's uninterruptible step: it checks its term only between steps. */
  private static final Duration STEP = Duration.ofMillis(1000);
  private static final Duration STOP_TIMEOUT = Duration.ofMillis(500);
  @RegisterExtension static final SingleZk zk = new SingleZk();

  /** One run of a task: when its term stopped being valid and when the task returned. */
  private static final class Probe {
    final CountDownLatch running = new CountDownLatch(1);
    final AtomicReference<Leadership> term = new AtomicReference<>();
    final AtomicLong returnedAt = new AtomicLong();
    volatile long invalidAt;

    LeaderTask honouring() {
      return t -> {
        started(t);
        try {
          new CountDownLatch(1).await();
        } finally {
          returnedAt.set(System.nanoTime());
        }
      };
    }

    LeaderTask ignoring() {
      return t -> {
        started(t);
        try {
          do {
            long until = System.nanoTime() + STEP.toNanos();
            while (until - System.nanoTime() > 0) {
              LockSupport.parkNanos(until - System.nanoTime()); // returns on interrupt; the task carries on
            }
          } while (t.isValid());
        } finally {
          returnedAt.set(System.nanoTime());
        }
      };
    }

    private void started(Leadership t) {
      term.set(t);
      Thread poller = new Thread(() -> {
        while (t.isValid()) {
          LockSupport.parkNanos(100_000);
        }
        invalidAt = System.nanoTime();
      }, "validity-poller");
      poller.setDaemon(true);
      poller.start();
      running.countDown();
    }

    long lingerNanos() {
      await().atMost(Duration.ofSeconds(20)).until(() -> returnedAt.get() != 0 && invalidAt != 0);
      return returnedAt.get() - invalidAt;
    }
  }

  private static String uri(String endpoint, String root) {
    return "zookeeper://" + endpoint + "/" + root + "?sessionTimeout=2s";
  }

  private static long resignOnce(ElectionClient c, String election, boolean honours, long[] resignNanos, int i)
      throws Exception {
    Probe p = new Probe();
    Candidate cand = c.election(election).join("c" + i);
    LeaderWork work = LeaderWork.on(cand).stopTimeout(STOP_TIMEOUT)
        .task("job", honours ? p.honouring() : p.ignoring()).start();
    assertThat(p.running.await(10, TimeUnit.SECONDS)).isTrue();
    long start = System.nanoTime();
    try {
      work.resign().toCompletableFuture().join();
      assertThat(honours).as("resign() completed although the task ignores interruption").isTrue();
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(ElectorTimeoutException.class);
      assertThat(work.overruns()).isNotEmpty();
    }
    resignNanos[i] = System.nanoTime() - start;
    // Read before the next term's run starts the probe again (the candidate is elected again, alone).
    long linger = p.lingerNanos();
    try {
      work.close();
    } catch (ElectorTimeoutException e) {
      // the stubborn task's next term, not measured
    }
    return linger;
  }

  @Test
  void afterResign() throws Exception {
    try (ElectionClient c = Elections.connect(uri(zk.server().endpoint(), "measure-work"))) {
      int n = 30;
      long[] linger = new long[n];
      long[] resign = new long[n];
      for (int i = 0; i < n; i++) {
        linger[i] = resignOnce(c, "honours", true, resign, i);
      }
      report("resign, task honours interruption: term end -> task returned", linger);
      report("resign, task honours interruption: LeaderWork.resign() call -> completed", resign);
      n = 4;
      linger = new long[n];
      resign = new long[n];
      for (int i = 0; i < n; i++) {
        linger[i] = resignOnce(c, "ignores", false, resign, i);
      }
      report("resign, task ignores interruption (" + STEP.toMillis() + " ms steps): term end -> task returned",
          linger);
      report("resign, task ignores interruption: LeaderWork.resign() call -> failed with ElectorTimeoutException"
          + " (stopTimeout " + STOP_TIMEOUT.toMillis() + " ms)", resign);
    }
  }

  @Test
  void afterCutOff() throws Exception {
    for (boolean honours : new boolean[] {true, false}) {
      int n = 3;
      long[] linger = new long[n];
      long[] stepDown = new long[n];
      for (int i = 0; i < n; i++) {
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", zk.server().port());
            ElectionClient c = Elections.connect(uri(proxy.endpoint(), "measure-cut"))) {
          Probe p = new Probe();
          Candidate cand = c.election("cut-" + honours + "-" + i).join("c");
          LeaderWork work = LeaderWork.on(cand).stopTimeout(STOP_TIMEOUT)
              .task("job", honours ? p.honouring() : p.ignoring()).start();
          assertThat(p.running.await(10, TimeUnit.SECONDS)).isTrue();
          long cut = System.nanoTime();
          proxy.partition();
          linger[i] = p.lingerNanos();
          stepDown[i] = p.invalidAt - cut;
          proxy.heal();
          try {
            work.close();
          } catch (ElectorTimeoutException e) {
            // a stubborn task's later term; measured above
          }
        }
      }
      String what = honours ? "task honours interruption" : "task ignores interruption (" + STEP.toMillis()
          + " ms steps)";
      report("cut-off (session 2 s), " + what + ": term end -> task returned", linger);
      report("cut-off (session 2 s), " + what + ": cut -> term invalid", stepDown);
    }
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("MEASURE %s over %d runs: median %.2f ms, max %.2f ms, min %.2f ms%n", what, sorted.length,
        sorted[sorted.length / 2] / 1e6, sorted[sorted.length - 1] / 1e6, sorted[0] / 1e6);
  }
}
