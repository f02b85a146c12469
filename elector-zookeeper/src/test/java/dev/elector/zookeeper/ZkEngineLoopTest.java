package dev.elector.zookeeper;

import static dev.elector.zookeeper.ZkBackends.await;
import static dev.elector.zookeeper.ZkBackends.head;
import static dev.elector.zookeeper.ZkBackends.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.spi.Ticket;
import dev.elector.tck.DirectListener;
import dev.elector.tck.LentLoop;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The backend on the engine's thread. The threads a handoff crosses inside Elector (issue 15: at most one hand-off from the client library's
 * notification to a callback on a direct executor). ZooKeeper delivers the predecessor's deletion on the event
 * thread of the handle that set the watch, which it names after the thread that made the handle ({@code
 * <maker>-EventThread}); the backend makes its handles on its loop. So the event thread's name tells which loop the
 * backend runs on, and the thread a callback or completion runs on tells where the path ended.
 */
class ZkEngineLoopTest {
  @RegisterExtension static final SingleZk zk = new SingleZk();

  @Test
  void aSuccessorsDirectListenerRunsOnTheThreadTheWatchEventCrossesTo() throws Exception {
    String uri = "zookeeper://" + zk.server().endpoint() + "/hops?sessionTimeout=4s";
    try (ElectionClient a = Elections.connect(uri); ElectionClient b = Elections.connect(uri)) {
      Candidate leader = a.election("e").join("a");
      leader.elected().toCompletableFuture().get(10, TimeUnit.SECONDS);
      DirectListener listener = DirectListener.recording();
      Candidate successor = b.election("e").candidate("b").listener(Runnable::run, listener).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> successor.state() == CandidateState.WAITING);

      leader.close();
      Thread callback = listener.electedOn(Duration.ofSeconds(10));

      // The path: b's ZooKeeper event thread (the watch fires) -> b's engine thread, where the backend handles the
      // event, the engine elects, and the direct listener runs. One hand-off.
      assertThat(callback.getName()).startsWith("elector-engine-");
      assertThat(liveThreadNames()).as("b's ZooKeeper handle was made on the engine thread that ran the callback")
          .contains(callback.getName() + "-EventThread");
    }
  }

  @Test
  void aBackendGivenTheEngineLoopCompletesAwaitHeadOnIt() throws Exception {
    // The backends close before the loop they run on.
    try (LentLoop loop = new LentLoop("hop-test-loop"); ZkBackends backends = new ZkBackends(zk.server())) {
      ZkBackend first = backends.backend("/hops-spi", new Recorder());
      ZkBackend second = (ZkBackend) new ZooKeeperElectionProvider()
          .connect(ZkBackends.config(zk.server().endpoint(), "/hops-spi"), new Recorder(), loop);
      backends.track(second);
      Ticket t1 = join(first, "e", "one");
      await(head(first, t1));
      Ticket t2 = join(second, "e", "two");
      CompletableFuture<Thread> headOn = new CompletableFuture<>();
      head(second, t2).whenComplete((v, e) -> headOn.complete(Thread.currentThread()));
      assertThat(headOn).isNotDone();

      await(first.remove(t1));
      Thread completedOn = headOn.get(10, TimeUnit.SECONDS);

      assertThat(completedOn).isSameAs(loop.thread());
      assertThat(liveThreadNames()).as("the backend's ZooKeeper handle was made on the lent loop")
          .contains(loop.thread().getName() + "-EventThread");
      assertThat(loop.tasks()).as("the backend ran its work on the lent loop").isPositive();
    }
  }

  /**
   * A close while the application's direct listener holds the engine's thread, which the backend shares: the
   * backend cannot run its close on its loop, and must still end the session from the closing thread, or its
   * tickets would stand in line after the client closed (on ZooKeeper for good: its client's own thread keeps the
   * session alive). The successor must be elected well before the session timeout (4 s) could end it.
   */
  @Test
  void aClientClosedWhileItsDirectListenerHoldsTheLoopStillEndsItsSession() throws Exception {
    // Under the 4 s session timeout: a close that only dropped the connection would elect it by expiry.
    DirectListener.closeWhileHeldEndsTheSession(
        "zookeeper://" + zk.server().endpoint() + "/held?sessionTimeout=4s&operationTimeout=1s", Duration.ofSeconds(2));
  }


  private static Set<String> liveThreadNames() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(Collectors.toSet());
  }
}
