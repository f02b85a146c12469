package dev.elector.zookeeper;

import static dev.elector.zookeeper.ZkBackends.await;
import static dev.elector.zookeeper.ZkBackends.head;
import static dev.elector.zookeeper.ZkBackends.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ClientConfig;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.Ticket;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Crashes, partitions and dropped connections, through a TCP proxy between one client and the server. */
class ZkFaultTest {
  @RegisterExtension static final SingleZk zk = new SingleZk();
  private static final AtomicInteger ROOTS = new AtomicInteger();

  private ZkBackends fx;
  private FaultProxy proxy;
  private String root;

  @BeforeEach
  void setUp() {
    fx = new ZkBackends(zk.server());
    proxy = FaultProxy.start("127.0.0.1", zk.server().port());
    root = "/fault-test-" + ROOTS.incrementAndGet();
  }

  @AfterEach
  void tearDown() throws Exception {
    proxy.close();
    fx.close();
  }

  private ZkBackend viaProxy(Recorder r, Duration session) {
    ClientConfig c = ZkBackends.config(proxy.endpoint(), root).toBuilder().sessionTimeout(session).build();
    return fx.backend(c, r);
  }

  @Test
  void aCrashedLeaderIsReplacedWithinTheSessionTimeoutAndStopsFirst() throws Exception {
    Duration session = ZkBackends.SESSION;
    ZkBackend a = viaProxy(new Recorder(), session);
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    await(head(a, ta));
    Ticket tb = join(b, "e", "b");
    CompletableFuture<Void> hb = head(b, tb);
    CompletableFuture<Long> leaderDeadlineLeftAtHandoff =
        hb.thenApply(v -> a.sessionDeadline() - System.nanoTime());
    // The process "dies": no bytes move any more, no close, and the connection is never restored.
    long crash = System.nanoTime();
    proxy.partition();
    long left = leaderDeadlineLeftAtHandoff.get(session.plusSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
    long failover = System.nanoTime() - crash;
    System.out.printf("crash failover: %.0f ms with a %d ms session timeout%n", failover / 1e6, session.toMillis());
    assertThat(tb.token()).isGreaterThan(ta.token());
    // Rule 1.3: the cut-off leader's own deadline had passed before the successor was elected.
    assertThat(left).isNegative();
  }

  @Test
  void theSessionDeadlinePassesBeforeTheServerExpiresTheSession() throws Exception {
    ZkBackend a = viaProxy(new Recorder(), ZkBackends.SESSION);
    long id = a.sessionId();
    proxy.partition();
    // The deadline only moves forward while answers arrive; keep the latest value it took.
    long deadline = a.sessionDeadline();
    long end = System.nanoTime() + ZkBackends.WAIT.toNanos();
    long expiredAt;
    while (true) {
      long d = a.sessionDeadline();
      if (d - deadline > 0) {
        deadline = d;
      }
      if (!zk.server().hasSession(id)) {
        expiredAt = System.nanoTime();
        break;
      }
      assertThat(end - System.nanoTime()).as("session still on the server after 10 s").isPositive();
      Thread.sleep(1);
    }
    System.out.printf("deadline passed %.0f ms before the server expired the session%n",
        (expiredAt - deadline) / 1e6);
    // Rule 1.3: the client stopped believing in its session before the server could elect anyone else.
    assertThat(expiredAt - deadline).isPositive();
  }

  @Test
  void aConnectionLossDuringCreateLeavesExactlyOneNode() throws Exception {
    ZkBackend a = viaProxy(new Recorder(), Duration.ofSeconds(4));
    ZooKeeper op = fx.raw();
    // Drop the connection while the create is in flight: early (the request never reaches the server) and late
    // (the server created the node but its answer is lost). Both must end with exactly one node for the call.
    long[] dropAfterMillis = {30, 230, 30, 230, 260};
    for (int i = 0; i < dropAfterMillis.length; i++) {
      await().atMost(ZkBackends.WAIT).until(() -> a.sessionDeadline() - System.nanoTime() > 0);
      proxy.latency(Duration.ofMillis(150));
      CompletableFuture<Ticket> joined = a.enqueue("e", "c" + i, new byte[0]).toCompletableFuture();
      Thread.sleep(dropAfterMillis[i]);
      proxy.dropConnections();
      proxy.heal();
      Ticket t = await(joined);
      List<String> children = op.getChildren(root + "/e", false);
      String uuid = t.key().substring(t.key().lastIndexOf('/') + 1, t.key().lastIndexOf(TicketNames.SEQ_MARK));
      assertThat(children.stream().filter(c -> c.startsWith(uuid))).as("nodes for call %d", i).hasSize(1);
      assertThat(children).hasSize(i + 1);
      assertThat(op.exists(t.key(), false).getCzxid()).isEqualTo(t.token());
    }
    // The late drops really hit a create the server had applied: the retry found it instead of making another.
    assertThat(a.recoveredCreates.get()).isPositive();
    System.out.printf("creates recovered by uuid: %d of %d%n", a.recoveredCreates.get(), dropAfterMillis.length);
  }

  @Test
  void aBlipSuspendsThenRecoversTheSameSessionAndPlace() throws Exception {
    Recorder ra = new Recorder();
    // A long session, so that the blip (and a loaded machine) stays well inside it.
    ZkBackend a = viaProxy(ra, Duration.ofSeconds(10));
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    await(head(a, ta));
    Ticket tb = join(b, "e", "b");
    CompletableFuture<Void> hb = head(b, tb);
    long session = a.sessionId();
    proxy.partition();
    proxy.dropConnections();
    await().atMost(ZkBackends.WAIT).until(() -> ra.kinds().contains(Kind.SUSPENDED));
    // Rule 1.4: the deadline was in the past before SUSPENDED was reported.
    assertThat(a.sessionDeadline() - System.nanoTime()).isNegative();
    CompletableFuture<Void> again = head(a, ta);
    assertThat(again).isNotDone();
    proxy.heal();
    await().atMost(ZkBackends.WAIT).until(() -> ra.kinds().contains(Kind.RECOVERED));
    assertThat(a.sessionId()).isEqualTo(session);
    assertThat(ra.kinds()).containsExactly(Kind.CONNECTED, Kind.SUSPENDED, Kind.RECOVERED);
    // Still first in line with the same ticket, hence the same token.
    await(again);
    assertThat(hb).isNotDone();
    assertThat(a.sessionDeadline() - System.nanoTime()).isPositive();
    await(a.remove(ta));
    await(hb);
  }
}
