package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.InvalidInputException;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.WorkOverrun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leader-only work on the mem backend: a task runs only within a term, is interrupted when the term ends for any
 * reason (the deadline passing with no event included), has returned before resign()/close() complete (SPEC rule
 * 1.6), and a task that ignores interruption is reported and never run twice at once.
 */
class LeaderWorkTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration SESSION = Duration.ofSeconds(2);
  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<CountDownLatch> toRelease = new ArrayList<>();
  private final List<LeaderWork> works = new ArrayList<>();
  private String cluster;

  @BeforeEach
  void setUp() {
    cluster = "work-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown() {
    toRelease.forEach(CountDownLatch::countDown);
    for (LeaderWork w : works) {
      try {
        w.close();
      } catch (ElectorTimeoutException e) {
        // a test's deliberately stubborn task; released above
      }
    }
    clients.forEach(ElectionClient::close);
    await("no leader-only thread left").atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("elector-work-") && t.getName().contains(cluster.substring(5, 13))));
  }

  private ElectionClient client() {
    ElectionClient c = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/work")
        .sessionTimeout(SESSION).operationTimeout(Duration.ofSeconds(1)).build());
    clients.add(c);
    return c;
  }

  /** An election name that the thread names carry, so tearDown finds this test's threads. */
  private String election() {
    return "w" + cluster.substring(5, 13);
  }

  private LeaderWork track(LeaderWork w) {
    works.add(w);
    return w;
  }

  private CountDownLatch latch() {
    CountDownLatch l = new CountDownLatch(1);
    toRelease.add(l);
    return l;
  }

  /** A task that marks when it starts, blocks until interrupted, and marks when it has returned. */
  private static final class Blocking {
    final CountDownLatch running = new CountDownLatch(1);
    final AtomicBoolean returned = new AtomicBoolean();
    final AtomicLong returnedNanos = new AtomicLong();
    volatile Leadership term;

    void run(Leadership t) throws InterruptedException {
      term = t;
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } finally {
        returnedNanos.set(System.nanoTime());
        returned.set(true);
      }
    }
  }

  @Test
  void aTaskRunsInTheTermAndHasReturnedWhenResignCompletes() throws Exception {
    Candidate a = client().election(election()).join("a");
    Blocking task = new Blocking();
    LeaderWork w = track(LeaderWork.on(a).task("job", task::run).start());
    assertThat(task.running.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    Leadership first = task.term; // a lone candidate is elected again after the resign: its run replaces term
    assertThat(first.isValid()).isTrue();
    w.resign().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(task.returned).as("rule 1.6: the task returned before resign completed").isTrue();
    assertThat(first.isValid()).isFalse();
  }

  @Test
  void aTaskHasReturnedWhenCloseCompletes() throws Exception {
    Candidate a = client().election(election()).join("a");
    Blocking task = new Blocking();
    LeaderWork w = track(LeaderWork.on(a).task("job", task::run).start());
    assertThat(task.running.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    w.close();
    assertThat(task.returned).as("rule 1.6: the task returned before close completed").isTrue();
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void aTaskIsInterruptedWhenTheSessionIsCutOffAndStartsAgainInTheNextTerm() throws Exception {
    ElectionClient c = client();
    Candidate a = c.election(election()).join("a");
    List<Leadership> terms = new CopyOnWriteArrayList<>();
    AtomicBoolean ranOutsideATerm = new AtomicBoolean();
    track(LeaderWork.on(a).task("job", t -> {
      terms.add(t);
      ranOutsideATerm.compareAndSet(false, !t.isValid());
      new CountDownLatch(1).await();
    }).start());
    await().atMost(WAIT).until(() -> terms.size() == 1);
    MemCluster.named(cluster).partition(c.sessionId());
    Leadership first = terms.get(0);
    await().atMost(WAIT).until(() -> !first.isValid());
    MemCluster.named(cluster).heal(c.sessionId());
    await().atMost(WAIT).until(() -> terms.size() == 2);
    assertThat(terms.get(1).token()).isGreaterThanOrEqualTo(first.token());
    assertThat(ranOutsideATerm).isFalse();
  }

  /**
   * The deadline passes with no event: the engine thread is held (so no {@code ended}, no {@code revoked}) and the
   * session cut off silently. The work's own timer must interrupt the task by the term's deadline.
   */
  @Test
  void aTaskIsInterruptedWhenTheDeadlinePassesWithNoEvent() throws Exception {
    ElectionClient c = client();
    Candidate a = c.election(election()).join("a");
    Blocking task = new Blocking();
    track(LeaderWork.on(a).task("job", task::run).start());
    assertThat(task.running.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = latch();
    c.election(election() + "-hold").candidate("holder").listener(Runnable::run, new LeadershipListener() {
      @Override
      public void elected(Leadership t) {
        holding.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void revoked(Leadership t, EndReason reason) {}
    }).join();
    assertThat(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the engine thread is held").isTrue();
    MemCluster.named(cluster).silence(c.sessionId());
    long deadline = task.term.validUntilNanos();
    await().atMost(WAIT).untilTrue(task.returned);
    assertThat(task.term.ended().toCompletableFuture().isDone())
        .as("no event reached the work: the engine is still held").isFalse();
    assertThat(task.returnedNanos.get() - deadline).as("returned after the deadline, not before").isPositive();
    release.countDown();
  }

  @Test
  void aPeriodicTaskRunsOnlyWhileLeadingAndIsHandedAValidTerm() throws Exception {
    Candidate a = client().election(election()).join("a");
    List<Leadership> runs = new CopyOnWriteArrayList<>();
    AtomicBoolean ranOutsideATerm = new AtomicBoolean();
    LeaderWork w = track(LeaderWork.on(a).every("tick", Duration.ofMillis(20), t -> {
      ranOutsideATerm.compareAndSet(false, !t.isValid());
      runs.add(t);
    }).start());
    await().atMost(WAIT).until(() -> runs.size() >= 5);
    Leadership first = runs.get(0);
    assertThat(runs).allMatch(t -> t.token() == first.token());
    w.resign().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    int atResign = (int) runs.stream().filter(t -> t == first).count();
    await().atMost(WAIT).until(() -> runs.stream().anyMatch(t -> t != first)); // alone: re-elected in a new term
    assertThat(runs.stream().filter(t -> t == first).count()).as("no run of the old term after resign")
        .isEqualTo(atResign);
    assertThat(ranOutsideATerm).isFalse();
  }

  @Test
  void aPeriodicTaskThatThrowsRunsAgain() throws Exception {
    Candidate a = client().election(election()).join("a");
    AtomicLong runs = new AtomicLong();
    track(LeaderWork.on(a).every("fails", Duration.ofMillis(10), t -> {
      runs.incrementAndGet();
      throw new IllegalStateException("deliberate failure of a periodic run");
    }).start());
    await().atMost(WAIT).until(() -> runs.get() >= 3);
  }

  @Test
  void aTaskIgnoringInterruptionIsReportedAndNeverRunsTwiceAtOnce() throws Exception {
    Candidate a = client().election(election()).join("a");
    CountDownLatch release = latch();
    AtomicLong concurrent = new AtomicLong();
    AtomicLong maxConcurrent = new AtomicLong();
    AtomicLong started = new AtomicLong();
    List<WorkOverrun> reported = new CopyOnWriteArrayList<>();
    LeaderWork w = track(LeaderWork.on(a).stopTimeout(Duration.ofMillis(300)).onOverrun(reported::add)
        .task("stubborn", t -> {
          long n = concurrent.incrementAndGet();
          maxConcurrent.accumulateAndGet(n, Math::max);
          started.incrementAndGet();
          try {
            while (!release.await(1, TimeUnit.DAYS)) {
              // never reached; an interrupt is swallowed below
            }
          } catch (InterruptedException ignored) {
            while (release.getCount() > 0) {
              try {
                release.await();
              } catch (InterruptedException again) {
                // ignores interruption on purpose
              }
            }
          } finally {
            concurrent.decrementAndGet();
          }
        }).start());
    await().atMost(WAIT).until(() -> started.get() == 1);
    assertThatThrownBy(() -> w.resign().toCompletableFuture().join())
        .isInstanceOf(CompletionException.class).cause().isInstanceOf(ElectorTimeoutException.class)
        .hasMessageContaining("stubborn");
    assertThat(reported).hasSize(1);
    assertThat(reported.get(0).task()).isEqualTo("stubborn");
    assertThat(reported.get(0).stack()).isNotEmpty();
    assertThat(w.overruns()).hasSize(1);
    await().atMost(WAIT).until(a::isLeader); // re-elected, alone
    assertThat(started.get()).as("the next term's run waits for the stubborn one").isEqualTo(1);
    release.countDown();
    await().atMost(WAIT).until(() -> started.get() == 2 || !a.isLeader());
    assertThat(maxConcurrent.get()).isEqualTo(1);
    await().atMost(WAIT).until(() -> w.overruns().isEmpty());
  }

  @Test
  void badInputIsRejectedBeforeAnything() {
    Candidate a = client().election(election()).join("a");
    assertThatThrownBy(() -> LeaderWork.on(a).start()).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("at least one task");
    assertThatThrownBy(() -> LeaderWork.on(a).every("x", Duration.ZERO, t -> { }))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("must be positive");
    assertThatThrownBy(() -> LeaderWork.on(a).task("x", t -> { }).task("x", t -> { }))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("unique");
    assertThatThrownBy(() -> LeaderWork.on(a).task(" ", t -> { })).isInstanceOf(InvalidInputException.class);
  }
}
