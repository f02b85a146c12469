package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.Ticket;
import dev.elector.tck.DirectListener;
import dev.elector.tck.LentLoop;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The backend on the engine's thread. The threads a handoff crosses inside Elector (issue 15: at most one hand-off from the client library's
 * notification to a callback on a direct executor). jetcd delivers the predecessor's delete on a gRPC thread; the
 * backend hands it to its loop, which is the engine's thread when the engine lends it, so the thread a callback or
 * completion runs on, and the absence of a thread of the backend's own, tell how many hand-offs the path crossed.
 */
class EtcdEngineLoopTest {
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private final String root = "/" + EtcdCluster.unique("hops");

  @Test
  void aSuccessorsDirectListenerRunsOnTheThreadTheWatchEventCrossesTo() throws Exception {
    Set<Thread> before = backendThreads();
    String uri = "etcd://" + String.join(",", etcd.endpoints()) + root + "?sessionTimeout=2s";
    try (ElectionClient a = Elections.connect(uri); ElectionClient b = Elections.connect(uri)) {
      Candidate leader = a.election("e").join("a");
      leader.elected().toCompletableFuture().get(10, TimeUnit.SECONDS);
      DirectListener listener = DirectListener.recording();
      Candidate successor = b.election("e").candidate("b").listener(Runnable::run, listener).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> successor.state() == CandidateState.WAITING);

      leader.close();
      Thread callback = listener.electedOn(Duration.ofSeconds(10));

      // The path: a gRPC thread (the watch event) -> b's engine thread, where the backend handles the event, the
      // engine elects, and the direct listener runs. One hand-off.
      assertThat(callback.getName()).startsWith("elector-engine-");
      Set<Thread> started = backendThreads();
      started.removeAll(before);
      assertThat(started).as("threads of the backend's own, started by these two clients").isEmpty();
    }
  }

  @Test
  void aBackendGivenTheEngineLoopCompletesAwaitHeadOnIt() throws Exception {
    ClientConfig config = ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root(root)
        .sessionTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(3))
        .operationTimeout(Duration.ofSeconds(2)).build();
    EtcdElectionProvider provider = new EtcdElectionProvider();
    try (LentLoop loop = new LentLoop("hop-test-loop");
        ElectionBackend first = provider.connect(config, new Recorder());
        ElectionBackend second = provider.connect(config, new Recorder(), loop)) {
      Ticket t1 = get(first.enqueue("e", "one", new byte[0]));
      get(first.awaitHead(t1));
      Ticket t2 = get(second.enqueue("e", "two", new byte[0]));
      CompletableFuture<Thread> headOn = new CompletableFuture<>();
      second.awaitHead(t2).whenComplete((v, e) -> headOn.complete(Thread.currentThread()));
      assertThat(headOn).isNotDone();

      get(first.remove(t1));
      Thread completedOn = headOn.get(10, TimeUnit.SECONDS);

      assertThat(completedOn).isSameAs(loop.thread());
      assertThat(loop.tasks()).as("the backend ran its work on the lent loop").isPositive();
    }
  }

  /**
   * A close while the application's direct listener holds the engine's thread, which the backend shares: the
   * backend cannot run its close on its loop, and must still end the session from the closing thread, or its
   * tickets would stand in line after the client closed (on ZooKeeper for good: its client's own thread keeps the
   * session alive). The successor must be elected well before the lease's TTL (20 s) could end it.
   */
  @Test
  void aClientClosedWhileItsDirectListenerHoldsTheLoopStillEndsItsSession() throws Exception {
    DirectListener.closeWhileHeldEndsTheSession("etcd://" + String.join(",", etcd.endpoints()) + root
        + "-held?sessionTimeout=20s&operationTimeout=1s", Duration.ofSeconds(5));
  }


  /**
   * The same close at the SPI level, with the lent loop held by a task: once {@code close()} returns, the session
   * must read as closed (no session id, the deadline past), so that what still runs afterwards fails as closed
   * rather than acting on a session that is gone; and the lease is revoked, so the other session's ticket leads.
   */
  @Test
  void aCloseThatCannotWaitForTheLoopStillClosesTheSessionAndRevokesItsLease() throws Exception {
    ClientConfig config = config(Duration.ofSeconds(20), Duration.ofSeconds(1));
    EtcdElectionProvider provider = new EtcdElectionProvider();
    CountDownLatch release = new CountDownLatch(1);
    try (LentLoop loop = new LentLoop("held-loop"); ElectionBackend other = provider.connect(config, new Recorder())) {
      ElectionBackend held = provider.connect(config, new Recorder(), loop);
      try {
        CompletableFuture<Void> nextHead = leadAhead(held, other, "e");
        CountDownLatch holding = new CountDownLatch(1);
        loop.execute(() -> {
          holding.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

        held.close();

        assertThat(held.sessionId()).as("the closed session's id").isZero();
        assertThat(held.sessionDeadline() - System.nanoTime()).as("the closed session's deadline").isNegative();
        nextHead.get(5, TimeUnit.SECONDS); // well before the 20 s lease could expire
      } finally {
        release.countDown();
        held.close();
      }
    }
  }

  /** A close called with the caller's interrupt flag set still revokes the lease (and keeps the flag). */
  @Test
  void anInterruptedCloseStillRevokesTheLease() throws Exception {
    ClientConfig config = config(Duration.ofSeconds(20), Duration.ofSeconds(2));
    EtcdElectionProvider provider = new EtcdElectionProvider();
    try (LentLoop loop = new LentLoop("interrupted-close-loop");
        ElectionBackend other = provider.connect(config, new Recorder())) {
      ElectionBackend closing = provider.connect(config, new Recorder(), loop);
      CompletableFuture<Void> nextHead = leadAhead(closing, other, "i");

      Thread.currentThread().interrupt();
      closing.close();
      assertThat(Thread.interrupted()).as("the caller's interrupt is kept").isTrue();

      nextHead.get(5, TimeUnit.SECONDS); // well before the 20 s lease could expire
    }
  }

  /** {@code leader}'s ticket leads {@code election}; the returned stage completes once {@code other}'s leads. */
  private static CompletableFuture<Void> leadAhead(ElectionBackend leader, ElectionBackend other, String election)
      throws Exception {
    Ticket first = get(leader.enqueue(election, "leader", new byte[0]));
    get(leader.awaitHead(first));
    Ticket next = get(other.enqueue(election, "other", new byte[0]));
    return other.awaitHead(next).toCompletableFuture();
  }

  private ClientConfig config(Duration session, Duration operation) {
    return ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root(root).sessionTimeout(session)
        .connectTimeout(Duration.ofSeconds(3)).operationTimeout(operation).build();
  }

  /** Live threads named as the etcd backend names a thread of its own. */
  private static Set<Thread> backendThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("elector-etcd-"))
        .collect(Collectors.toSet());
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
