package dev.elector.zookeeper;

import static dev.elector.zookeeper.ZkBackends.await;
import static dev.elector.zookeeper.ZkBackends.head;
import static dev.elector.zookeeper.ZkBackends.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.EndReason;
import dev.elector.spi.Ticket;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.testservers.InProcessZooKeeper;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Measures handoff latency (close → successor elected) and crash failover time, and prints them. Timings are
 * reported, never asserted; the tests assert that every measured handoff really elected the successor with a larger
 * token. The server runs without fsync (see {@link InProcessZooKeeper}), so the numbers show the client's round trips, not
 * this machine's disk. Run it with {@code ./mvnw -o -pl elector-zookeeper verify -Dtest=ZkHandoffMeasurementTest
 * -Pmeasure}.
 */
@Tag("measurement")
class ZkHandoffMeasurementTest {
  private static final int HANDOFFS = 250;
  @RegisterExtension static final SingleZk zk = new SingleZk();

  @Test
  void handoffOnCandidateCloseThroughThePublicApi() throws Exception {
    String uri = "zookeeper://" + zk.server().endpoint() + "/measure-api?sessionTimeout=4s";
    try (ElectionClient x = Elections.connect(uri); ElectionClient y = Elections.connect(uri)) {
      ElectionClient[] clients = {x, y};
      CompletableFuture<Long>[] electedAt = newElected();
      Candidate leader = joinTimed(clients[0], "c0", electedAt, 0);
      Leadership term = leader.elected().toCompletableFuture().get(10, TimeUnit.SECONDS);
      long[] nanos = new long[HANDOFFS];
      for (int i = 0; i < HANDOFFS; i++) {
        int next = i + 1;
        Candidate follower = joinTimed(clients[next % 2], "c" + next, electedAt, next);
        await().atMost(Duration.ofSeconds(10)).until(() -> follower.state() == CandidateState.WAITING);
        long start = System.nanoTime();
        leader.close();
        long at = electedAt[next % 2].get(10, TimeUnit.SECONDS);
        nanos[i] = at - start;
        Leadership t = follower.leadership().orElseThrow();
        assertThat(t.token()).isGreaterThan(term.token());
        assertThat(term.isValid()).isFalse();
        term = t;
        leader = follower;
      }
      report("public API: candidate.close() -> successor's elected callback", nanos);
      leader.close();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static CompletableFuture<Long>[] newElected() {
    return new CompletableFuture[] {new CompletableFuture<Long>(), new CompletableFuture<Long>()};
  }

  /** Joins with a listener that records, on the engine's thread, when the candidate was elected. */
  private static Candidate joinTimed(ElectionClient client, String id, CompletableFuture<Long>[] slots, int n) {
    CompletableFuture<Long> slot = new CompletableFuture<>();
    slots[n % 2] = slot;
    return client.election("handoff").candidate(id).listener(Runnable::run, new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        slot.complete(System.nanoTime());
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {}
    }).join();
  }

  @Test
  void handoffOnRemoveAtTheSpi() throws Exception {
    try (ZkBackends fx = new ZkBackends(zk.server())) {
      ZkBackend a = fx.backend("/measure-spi", new Recorder());
      ZkBackend b = fx.backend("/measure-spi", new Recorder());
      ZkBackend[] on = {a, b};
      Ticket leader = join(a, "e", "c0");
      await(head(a, leader));
      long[] nanos = new long[HANDOFFS];
      for (int i = 0; i < HANDOFFS; i++) {
        ZkBackend nextOn = on[(i + 1) % 2];
        Ticket next = join(nextOn, "e", "c" + (i + 1));
        long watchesBefore = nextOn.predecessorWatches.get();
        CompletableFuture<Long> elected = head(nextOn, next).thenApply(v -> System.nanoTime());
        await().atMost(Duration.ofSeconds(10)).until(() -> nextOn.predecessorWatches.get() > watchesBefore);
        long start = System.nanoTime();
        on[i % 2].remove(leader);
        nanos[i] = elected.get(10, TimeUnit.SECONDS) - start;
        assertThat(next.token()).isGreaterThan(leader.token());
        leader = next;
      }
      report("SPI: remove(leader) -> successor's awaitHead completes", nanos);
    }
  }

  @Test
  void crashFailoverAgainstTheSessionTimeout() throws Exception {
    crashFailover(Duration.ofSeconds(2));
    crashFailover(Duration.ofSeconds(4));
  }

  private void crashFailover(Duration session) throws Exception {
    long[] nanos = new long[3];
    for (int i = 0; i < nanos.length; i++) {
      try (ZkBackends fx = new ZkBackends(zk.server());
          FaultProxy proxy = FaultProxy.start("127.0.0.1", zk.server().port())) {
        ClientConfig viaProxy = ZkBackends.config(proxy.endpoint(), "/measure-crash").toBuilder()
            .sessionTimeout(session).build();
        ZkBackend dying = fx.backend(viaProxy, new Recorder());
        ZkBackend survivor = fx.backend("/measure-crash", new Recorder());
        String e = "e" + session.toSeconds() + "-" + i;
        Ticket t1 = join(dying, e, "dying");
        await(head(dying, t1));
        Ticket t2 = join(survivor, e, "survivor");
        CompletableFuture<Long> elected = head(survivor, t2).thenApply(v -> System.nanoTime());
        long start = System.nanoTime();
        proxy.partition();
        nanos[i] = elected.get(session.toMillis() + 5_000, TimeUnit.MILLISECONDS) - start;
        assertThat(t2.token()).isGreaterThan(t1.token());
        proxy.close();
      }
    }
    System.out.printf("MEASURE crash failover with sessionTimeout=%d ms (server tick %d ms): %s ms%n",
        session.toMillis(), InProcessZooKeeper.TICK_MILLIS,
        Arrays.toString(Arrays.stream(nanos).map(n -> n / 1_000_000).toArray()));
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("MEASURE %s over %d handoffs: median %.2f ms, p99 %.2f ms, max %.2f ms%n", what,
        sorted.length, sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6,
        sorted[sorted.length - 1] / 1e6);
  }
}
