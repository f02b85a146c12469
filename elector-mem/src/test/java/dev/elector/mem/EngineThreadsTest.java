package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which threads run what, and why none of it depends on how busy Elector's own threads are (SPEC rules 1.6, 3.2):
 * application continuations never run on the engine thread or the backend's thread, a close ends its term on the
 * closing thread whatever the engine is doing, and a burst of ending terms does not spawn a thread each.
 */
class EngineThreadsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);
  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<CountDownLatch> toRelease = new ArrayList<>();
  private String cluster;

  @BeforeEach
  void setUp() {
    cluster = "threads-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown() {
    toRelease.forEach(CountDownLatch::countDown);
    clients.forEach(ElectionClient::close);
  }

  private ElectionClient client() {
    ElectionClient c = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/threads")
        .sessionTimeout(Duration.ofSeconds(2)).operationTimeout(OPERATION_TIMEOUT).build());
    clients.add(c);
    return c;
  }

  private CountDownLatch latch() {
    CountDownLatch l = new CountDownLatch(1);
    toRelease.add(l);
    return l;
  }

  private static boolean elector(String thread) {
    return thread.startsWith("elector-engine-") || thread.startsWith("elector-mem-");
  }

  /**
   * A listener on a direct executor blocks the engine thread (its callback runs there, as the application asked);
   * another candidate's close() must still return with its term over: invalid, ended, and no later than the
   * operation timeout. Guards against ending the term only on the engine thread: close() would then give up after
   * the operation timeout and return with isValid() still true.
   */
  @Test
  void closeEndsItsTermOnTheClosingThreadWhileTheEngineThreadIsBusy() throws Exception {
    ElectionClient c = client();
    Candidate leader = c.election("closing").join("leader");
    Leadership term = leader.awaitLeadership(WAIT);

    CountDownLatch blocking = new CountDownLatch(1);
    CountDownLatch release = latch();
    Candidate blocker = c.election("blocking").candidate("blocker").listener(Runnable::run,
        new LeadershipListener() {
          @Override
          public void elected(Leadership t) {
            blocking.countDown();
            awaitQuietly(release);
          }

          @Override
          public void revoked(Leadership t, EndReason reason) {}
        }).join();
    assertThat(blocking.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("blocker's elected runs").isTrue();
    assertThat(term.isValid()).as("the leader's term is valid before close").isTrue();

    long start = System.nanoTime();
    leader.close();
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    boolean validAfterClose = term.isValid();
    boolean endedAfterClose = term.ended().toCompletableFuture().isDone();
    release.countDown();

    assertThat(validAfterClose).as("rule 1.6: valid after close() returned (it took %d ms)", tookMillis).isFalse();
    assertThat(endedAfterClose).as("rule 1.6: ended() complete when close() returned").isTrue();
    assertThat(term.ended().toCompletableFuture().get(1, TimeUnit.SECONDS)).isEqualTo(EndReason.CLOSED);
    blocker.close();
  }

  /**
   * Continuations on the stages that resign() and closeAsync() return run on the callback pool. resign()'s used to
   * complete on the engine thread, so {@code resign().thenRun(() -> other.close())} held the engine for the whole
   * operation timeout; closeAsync()'s completed on the backend's thread.
   */
  @Test
  void resignAndCloseAsyncContinuationsRunOffElectorsThreads() throws Exception {
    ElectionClient c = client();
    Candidate a = c.election("stages").join("a");
    Candidate other = c.election("other").join("other");
    a.awaitLeadership(WAIT);
    other.awaitLeadership(WAIT);

    // Each continuation is attached while the mem network is stalled, so its stage cannot have completed yet (a
    // continuation attached to a completed stage runs on the attaching thread).
    MemCluster mem = MemCluster.named(cluster);
    List<String> threads = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    CompletableFuture<Void> resigned;
    try (AutoCloseable stall = mem.stall()) {
      resigned = a.resign().thenRun(() -> {
        threads.add("resign:" + Thread.currentThread().getName());
        other.close(); // blocks this thread until other's ticket is removed: must not be the engine thread
      }).toCompletableFuture();
    }
    resigned.get(10, TimeUnit.SECONDS);
    long resignMillis = (System.nanoTime() - start) / 1_000_000;
    CompletableFuture<Void> closed;
    try (AutoCloseable stall = mem.stall()) {
      closed = a.closeAsync().thenRun(() -> threads.add("closeAsync:" + Thread.currentThread().getName()))
          .toCompletableFuture();
    }
    closed.get(10, TimeUnit.SECONDS);

    assertThat(threads).hasSize(2);
    assertThat(threads).as("rule 3.2: continuations ran on Elector's own threads (resign took %d ms)", resignMillis)
        .noneMatch(t -> elector(t.substring(t.indexOf(':') + 1)));
    assertThat(threads).allMatch(t -> t.substring(t.indexOf(':') + 1).startsWith("elector-callback-"));
  }

  /**
   * Fifty terms end at once (the client closes) and every ended() continuation blocks for a while: they queue on
   * the callback pool's few threads instead of spawning a thread each, and none runs on the engine or backend thread
   * (not even inline after the client has closed).
   */
  @Test
  void aBurstOfEndingTermsUsesABoundedPool() throws Exception {
    ElectionClient c = client();
    int n = 50;
    List<Leadership> terms = new ArrayList<>();
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      candidates.add(c.election("burst" + i).join("c" + i));
    }
    for (Candidate cand : candidates) {
      terms.add(cand.awaitLeadership(WAIT));
    }
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch ran = new CountDownLatch(n);
    for (Leadership t : terms) {
      t.ended().thenRun(() -> {
        threads.add(Thread.currentThread().getName());
        sleepQuietly(100);
        ran.countDown();
      });
    }
    c.close();
    assertThat(ran.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("all ended() continuations ran").isTrue();
    // close() ends terms on the closing thread too (SPEC rule 1.6): some continuations may run there, on "main".
    assertThat(threads).noneMatch(EngineThreadsTest::elector);
    assertThat(threads.stream().filter(t -> t.startsWith("elector-callback-")).count())
        .as("callback threads for %d blocking continuations: %s", n, threads)
        .isLessThanOrEqualTo(Math.max(4, Runtime.getRuntime().availableProcessors()));
  }

  /**
   * More ended() continuations than the pool has threads each wait (blocking) for their candidate's next term, whose
   * elected() stage completes on the same pool: the pool adds threads for such waits instead of starving them. A
   * pool bounded at its thread count left every wait to time out although each candidate led again at once.
   */
  @Test
  void continuationsWaitingOnElectorStagesDoNotStarveThePool() throws Exception {
    ElectionClient c = client();
    int n = Math.max(4, Runtime.getRuntime().availableProcessors()) + 2;
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      candidates.add(c.election("starve" + i).join("c" + i));
    }
    List<CompletableFuture<Leadership>> next = new ArrayList<>();
    for (Candidate cand : candidates) {
      Leadership first = cand.awaitLeadership(WAIT);
      next.add(first.ended().thenApply(reason -> {
        try {
          return cand.awaitLeadership(Duration.ofSeconds(5)); // alone in line: leads again within milliseconds
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }).toCompletableFuture());
    }
    for (Candidate cand : candidates) {
      cand.resign();
    }
    for (CompletableFuture<Leadership> f : next) {
      assertThat(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the next term, awaited inside a continuation")
          .isNotNull();
    }
  }

  private static void awaitQuietly(CountDownLatch l) {
    try {
      l.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
