package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Closing a candidate or a client while the engine thread is held, or from the engine thread itself (a callback on a
 * direct executor): every term still ends with reason CLOSED, its listeners hear elected then revoked exactly once,
 * {@code revoked} is queued before {@code close()} returns, and no application code runs on Elector's threads
 * (SPEC rules 1.6, 3.1, 3.2, 3.5, 3.6, 4.2).
 */
class EngineCloseTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration SESSION = Duration.ofSeconds(2);
  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<CountDownLatch> toRelease = new ArrayList<>();
  private final ExecutorService app = Executors.newSingleThreadExecutor(r -> new Thread(r, "app"));
  private String cluster;

  @BeforeEach
  void setUp() {
    cluster = "close-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    toRelease.forEach(CountDownLatch::countDown);
    clients.forEach(ElectionClient::close);
    app.shutdownNow();
    assertThat(app.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private ElectionClient client() {
    ElectionClient c = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/close")
        .sessionTimeout(SESSION).operationTimeout(Duration.ofSeconds(1)).build());
    clients.add(c);
    return c;
  }

  private CountDownLatch latch() {
    CountDownLatch l = new CountDownLatch(1);
    toRelease.add(l);
    return l;
  }

  /** Holds the engine thread: a candidate alone in its election whose direct-executor listener blocks in elected. */
  private CountDownLatch holdEngine(ElectionClient c, String name) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = latch();
    c.election(name).candidate(name).listener(Runnable::run, blockingListener(holding, release)).join();
    assertThat(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the engine thread is held").isTrue();
    return release;
  }

  private static LeadershipListener blockingListener(CountDownLatch holding, CountDownLatch release) {
    return new LeadershipListener() {
      @Override
      public void elected(Leadership t) {
        holding.countDown();
        awaitQuietly(release);
      }

      @Override
      public void revoked(Leadership t, EndReason reason) {}
    };
  }

  /** Records callbacks in order. */
  static final class Calls implements LeadershipListener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void elected(Leadership t) {
      calls.add("elected");
    }

    @Override
    public void revoked(Leadership t, EndReason reason) {
      calls.add("revoked:" + reason);
    }
  }

  /**
   * closeAsync() while the engine is held past the term's next deadline check: the term ends CLOSED, not
   * DEADLINE_PASSED (a late check must not take the closing flag for a lapsed deadline).
   */
  @Test
  void closeAsyncWhileTheDeadlineCheckIsDueEndsTheTermClosed() throws Exception {
    ElectionClient c = client();
    Calls calls = new Calls();
    Candidate leader = c.election("reason").candidate("leader").listener(app, calls).join();
    Leadership term = leader.awaitLeadership(WAIT);
    CountDownLatch release = holdEngine(c, "holder");
    // The fault: the engine stays held for longer than a session timeout, so the term's deadline check falls due.
    Thread.sleep(SESSION.toMillis() + 200);
    leader.closeAsync();
    release.countDown();
    assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).as("rule 3.5").isEqualTo(EndReason.CLOSED);
    await().atMost(WAIT).until(() -> calls.calls.size() == 2);
    assertThat(calls.calls).containsExactly("elected", "revoked:CLOSED");
  }

  /**
   * The candidate's own first listener (direct executor) holds the engine inside elected; close() from another
   * thread must return with revoked already queued for the second listener, which hears elected then revoked once.
   */
  @Test
  void closeWhileItsOwnListenerHoldsTheEngineQueuesRevokedBeforeReturning() throws Exception {
    ElectionClient c = client();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = latch();
    List<String> order = new CopyOnWriteArrayList<>();
    Candidate cand = c.election("own").candidate("x").listener(Runnable::run, blockingListener(holding, release))
        .listener(app, new LeadershipListener() {
          @Override
          public void elected(Leadership t) {
            order.add("elected");
          }

          @Override
          public void revoked(Leadership t, EndReason reason) {
            order.add("revoked:" + reason);
          }
        }).join();
    assertThat(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    Leadership t = cand.leadership().orElseThrow();
    cand.close();
    order.add("close() returned");
    assertThat(t.isValid()).isFalse();
    assertThat(t.ended().toCompletableFuture().isDone()).as("rule 1.6: ended() when close() returned").isTrue();
    // Still held: whatever the second listener hears now was queued by the time close() returned.
    await().atMost(WAIT).until(() -> order.size() == 3);
    assertThat(order).as("rule 1.6/3.1: revoked queued before close() returned, each once")
        .containsExactlyInAnyOrder("elected", "revoked:CLOSED", "close() returned");
    assertThat(order.indexOf("elected")).isLessThan(order.indexOf("revoked:CLOSED"));
    release.countDown();
  }

  /**
   * The client closes while the engine is held: every term ends on the closing thread (invalid, ended, revoked), and
   * the candidate reads CLOSED once the engine is released. Closing must not drop the engine's queued work: the
   * term's ended() would never complete and its listener never hear revoked.
   */
  @Test
  void clientCloseWhileTheEngineIsHeldEndsEveryTerm() throws Exception {
    ElectionClient c = client();
    Calls calls = new Calls();
    Candidate leader = c.election("client").candidate("leader").listener(app, calls).join();
    Leadership term = leader.awaitLeadership(WAIT);
    CountDownLatch release = holdEngine(c, "holder");
    c.close();
    assertThat(term.isValid()).isFalse();
    assertThat(term.ended().toCompletableFuture().isDone()).as("rule 1.6/4.2: ended() when close() returned").isTrue();
    release.countDown();
    await().atMost(WAIT).until(() -> calls.calls.size() == 2);
    assertThat(calls.calls).containsExactly("elected", "revoked:CLOSED");
    assertThat(leader.closeAsync().toCompletableFuture().get(5, TimeUnit.SECONDS)).isNull();
  }

  /**
   * client.close() called by a session listener on a direct executor, that is on the engine thread: it does the
   * engine's part itself (it must not wait on itself), the term ends, CLOSED is announced last.
   */
  @Test
  void clientCloseFromASessionListenerOnTheEngineThread() throws Exception {
    ElectionClient c = client();
    Calls calls = new Calls();
    Candidate leader = c.election("session").candidate("leader").listener(app, calls).join();
    Leadership term = leader.awaitLeadership(WAIT);
    List<SessionState> states = new CopyOnWriteArrayList<>();
    AtomicInteger heard = new AtomicInteger();
    CountDownLatch closed = new CountDownLatch(1);
    c.addSessionListener(Runnable::run, (s, id) -> {
      states.add(s);
      if (heard.incrementAndGet() == 1) {
        c.close();
        closed.countDown();
      }
    });
    assertThat(closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    await().atMost(WAIT).until(() -> states.contains(SessionState.CLOSED));
    assertThat(states).containsExactly(SessionState.CONNECTED, SessionState.CLOSED);
    assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.CLOSED);
    await().atMost(WAIT).until(() -> calls.calls.size() == 2);
    assertThat(calls.calls).containsExactly("elected", "revoked:CLOSED");
  }

  /** close() on the engine thread (from a direct-executor callback): ended() continuations still run on the pool. */
  @Test
  void closeOnTheEngineThreadLeavesEndedContinuationsToThePool() throws Exception {
    ElectionClient c = client();
    Candidate a = c.election("a").join("a");
    Leadership ta = a.awaitLeadership(WAIT);
    CompletableFuture<String> thread = ta.ended().thenApply(r -> Thread.currentThread().getName())
        .toCompletableFuture();
    c.election("b").candidate("b").listener(Runnable::run, new LeadershipListener() {
      @Override
      public void elected(Leadership t) {
        a.close();
      }

      @Override
      public void revoked(Leadership t, EndReason reason) {}
    }).join();
    assertThat(thread.get(5, TimeUnit.SECONDS)).startsWith("elector-callback-");
  }

  /** A resign whose ticket removal completes after the client closed: its stage still completes on the pool. */
  @Test
  void resignOutlivingItsClientCompletesOnThePool() throws Exception {
    ElectionClient c = client();
    Candidate a = c.election("resign").join("a");
    a.awaitLeadership(WAIT);
    CompletableFuture<String> thread = new CompletableFuture<>();
    CompletableFuture<Void> resigned;
    try (AutoCloseable stall = MemCluster.named(cluster).stall()) {
      resigned = a.resign().toCompletableFuture();
      resigned.whenComplete((v, e) -> thread.complete(Thread.currentThread().getName()));
      c.close();
    }
    assertThat(thread.get(5, TimeUnit.SECONDS)).startsWith("elector-callback-");
  }

  private static void awaitQuietly(CountDownLatch l) {
    try {
      l.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
  /**
   * SPEC rule 4.2: an observer's change that is queued on its executor (busy with the application's own work) when
   * its client closes is never delivered after {@code close()} returned. Before the fix, the queued change ran once
   * the executor was free: the observer heard of a new leader from a client that was closed.
   */
  @Test
  void anObserversQueuedChangeIsDroppedWhenItsClientCloses() throws Exception {
    ElectionClient watcher = client();
    ElectionClient other = client();
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch first = new CountDownLatch(1);
    watcher.election("obs").observe(app, head -> {
      seen.add(head.map(p -> p.candidateId()).orElse("none"));
      first.countDown();
    });
    assertThat(first.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("first report").isTrue();
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = latch();
    app.execute(() -> {
      busy.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(busy.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the observer's executor is busy").isTrue();
    Candidate a = other.election("obs").join("a");
    a.elected().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    // The change reaches the watcher's engine, which queues it behind the application's work.
    await().atMost(WAIT).until(() -> other.election("obs").leader().toCompletableFuture().get().isPresent());
    await().atMost(WAIT).until(() -> watcher.election("obs").leader().toCompletableFuture().get().isPresent());
    watcher.close();
    List<String> atClose = List.copyOf(seen);
    CompletableFuture<Void> drained = new CompletableFuture<>();
    release.countDown();
    app.execute(() -> drained.complete(null));
    drained.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(seen).as("reports after the client's close() returned").isEqualTo(atClose);
  }
}
