package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elector.Candidate;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import dev.elector.tck.TckFixture.Capability;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Rule 1.6 for leader-only work ({@link LeaderWork}): a task runs within its term, is interrupted when the term
 * ends, and has returned before {@code resign()}/{@code close()} complete. It depends on the backend's events and
 * deadline reaching the work in time, so every backend runs it. {@link ElectionTck} nests it, handing it the current
 * test's {@link TestContext}.
 */
abstract class LeaderWorkRules extends AreaRules {
  /** A task that records its term, blocks until interrupted, and records that it returned. */
  private static final class Blocking {
    final AtomicReference<Leadership> term = new AtomicReference<>();
    final CountDownLatch running = new CountDownLatch(1);
    final AtomicBoolean returned = new AtomicBoolean();
    final AtomicBoolean validAtStart = new AtomicBoolean();

    void run(Leadership t) throws InterruptedException {
      term.set(t);
      validAtStart.set(t.isValid());
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } finally {
        returned.set(true);
      }
    }

    Leadership awaitRunning(TestContext test) throws InterruptedException {
      if (!running.await(test.bounds.election().toMillis(), TimeUnit.MILLISECONDS)) {
        fail("rule 1.6: the leader-only task did not start within " + test.bounds.election().toMillis() + " ms");
      }
      if (!validAtStart.get()) {
        fail("rule 1.6: the leader-only task was started in a term that was no longer valid");
      }
      return term.get();
    }
  }

  /**
   * Verifies rule 1.6 for leader-only work: the task of the term held when {@code resign()} and then
   * {@code close()} are called has returned when each completes.
   *
   * <p>If this test fails, check that the term's {@code ended()} completes before {@code resign()}/{@code close()}
   * do, and that {@code elected} is delivered for every term.
   */
  @Test
  @DisplayName("1.6 Leader-only work has returned when resign() and close() complete")
  void required_rule1_6_leaderWorkStopsBeforeResignAndCloseComplete() throws Exception {
    Candidate a = test().join(test().client(), test().electionName("work"), "a-work");
    Blocking first = new Blocking();
    Blocking second = new Blocking();
    AtomicReference<Blocking> current = new AtomicReference<>(first);
    try (LeaderWork work = LeaderWork.on(a).task("job", t -> current.get().run(t)).start()) {
      first.awaitRunning(test());
      current.set(second);
      test().get("1.6", work.resign());
      if (!first.returned.get()) {
        fail("rule 1.6: resign() completed while the leader-only task of the resigned term was still running");
      }
      Leadership t2 = second.awaitRunning(test());
      if (t2.token() <= first.term.get().token()) {
        fail("rule 1.2: the term after resign has no greater token");
      }
      work.close();
      if (!second.returned.get()) {
        fail("rule 1.6: close() completed while the leader-only task was still running");
      }
    }
  }

  /**
   * Verifies rule 1.6 with rule 1.4 for leader-only work: when the leader is cut off, the task is interrupted by the
   * term's deadline at the latest, whatever events reach it.
   *
   * <p>If this test fails, check that {@code validUntilNanos()} lies in the past once {@code isValid()} is false.
   */
  @Test
  @DisplayName("1.6 Leader-only work is interrupted when a cut-off leader's term ends")
  void required_rule1_6_leaderWorkInterruptedWhenCutOff() throws Exception {
    assumeTrue(test().fixture.tcp() || test().fixture.capabilities().contains(Capability.PARTITION),
        "fixture does not declare capability PARTITION");
    TckClient c = test().client();
    Candidate a = test().join(c, test().electionName("work-cut"), "a-work-cut");
    Blocking task = new Blocking();
    try (LeaderWork work = LeaderWork.on(a).task("job", task::run).start()) {
      Leadership term = task.awaitRunning(test());
      c.partition();
      test().await("1.6", () -> "the leader-only task still runs " + test().bounds.stepDown().toMillis()
          + " ms after its leader was cut off (term valid: " + term.isValid() + ")", test().bounds.stepDown(),
          task.returned::get);
      if (term.isValid()) {
        fail("rule 1.6: the leader-only task was interrupted while its term is still valid");
      }
      c.heal();
    }
  }
}
