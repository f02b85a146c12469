package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.ClientConfig;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.Ticket;
import dev.elector.faultproxy.FaultProxy;
import io.etcd.jetcd.ByteSequence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Measures, and prints, what the issue asks for: handoff latency (steady and churn), crash failover time against the
 * lease TTL, and how far the local session deadline runs ahead of the server's lease expiry. Timings are printed,
 * never asserted; the assertions only check that each handoff and failover happened.
 */
@Tag("measurement")
class EtcdMeasurementTest {
  private static final int HANDOFFS = 200;
  private static final Duration TTL = Duration.ofSeconds(2);
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private static ElectionBackend connect(String root, List<String> endpoints, Duration session) {
    ClientConfig c = ClientConfig.builder("etcd").endpoints(endpoints).root(root).sessionTimeout(session).build();
    return new EtcdElectionProvider().connect(c, new Recorder());
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String stats(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return String.format("n=%d median=%.2f ms p99=%.2f ms max=%.2f ms", s.length, s[s.length / 2] / 1e6,
        s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6, s[s.length - 1] / 1e6);
  }

  @Test
  void handoffLatencySteadyAndChurn() throws Exception {
    String root = "/" + EtcdCluster.unique("m");
    List<ElectionBackend> backends = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        backends.add(connect(root, etcd.endpoints(), Duration.ofSeconds(10)));
      }
      ElectionBackend a = backends.get(0);
      ElectionBackend b = backends.get(1);

      // Steady: the successor has been waiting for a while when the leader leaves.
      long[] steady = new long[HANDOFFS];
      Ticket head = get(a.enqueue("steady", "a", new byte[0]));
      get(a.awaitHead(head));
      ElectionBackend headOwner = a;
      for (int i = 0; i < HANDOFFS; i++) {
        ElectionBackend next = headOwner == a ? b : a;
        Ticket t = get(next.enqueue("steady", "x" + i, new byte[0]));
        CompletableFuture<Void> elected = next.awaitHead(t).toCompletableFuture();
        Thread.sleep(5); // let the successor settle into its watch: this is the steady case
        assertThat(elected).isNotDone();
        long start = System.nanoTime();
        headOwner.remove(head);
        elected.get(10, TimeUnit.SECONDS);
        steady[i] = System.nanoTime() - start;
        head = t;
        headOwner = next;
      }
      get(headOwner.remove(head));

      // Churn: the successor joins and starts waiting just before the leader leaves.
      long[] churn = new long[HANDOFFS];
      head = get(a.enqueue("churn", "a", new byte[0]));
      get(a.awaitHead(head));
      headOwner = a;
      for (int i = 0; i < HANDOFFS; i++) {
        ElectionBackend next = headOwner == a ? b : a;
        Ticket t = get(next.enqueue("churn", "x" + i, new byte[0]));
        CompletableFuture<Void> elected = next.awaitHead(t).toCompletableFuture();
        long start = System.nanoTime();
        headOwner.remove(head);
        elected.get(10, TimeUnit.SECONDS);
        churn[i] = System.nanoTime() - start;
        head = t;
        headOwner = next;
      }
      System.out.println("MEASURE handoff steady (remove -> successor's awaitHead completes): " + stats(steady));
      System.out.println("MEASURE handoff churn (successor began waiting just before): " + stats(churn));
    } finally {
      backends.forEach(ElectionBackend::close);
    }
  }

  @Test
  void crashFailoverAgainstTheLeaseTtlAndDeadlineLead() throws Exception {
    crashFailover(Duration.ofSeconds(2), 3);
    crashFailover(Duration.ofSeconds(4), 2);
  }

  private void crashFailover(Duration ttl, int runs) throws Exception {
    String root = "/" + EtcdCluster.unique("m");
    long[] failover = new long[runs];
    long[] deadlineAfterCut = new long[runs];
    long[] keyGoneAfterDeadline = new long[runs];
    for (int run = 0; run < runs; run++) {
      try (FaultProxy p = FaultProxy.start("127.0.0.1", Integer.parseInt(etcd.endpoint(0).split(":")[1]))) {
        ElectionBackend a = connect(root, List.of(p.endpoint()), ttl);
        ElectionBackend b = connect(root, etcd.endpoints(), ttl);
        try {
          Ticket ta = get(a.enqueue("crash", "a", new byte[0]));
          get(a.awaitHead(ta));
          Ticket tb = get(b.enqueue("crash", "b", new byte[0]));
          CompletableFuture<Void> hb = b.awaitHead(tb).toCompletableFuture();
          // Cut right after a renewal went out, the usual worst case for a leader: its deadline is nearly full.
          long before = a.sessionDeadline();
          long waitUntil = System.nanoTime() + ttl.toNanos();
          while (a.sessionDeadline() == before && System.nanoTime() - waitUntil < 0) {
            Thread.onSpinWait();
          }
          p.partition();
          long cut = System.nanoTime();
          long localDeadline = a.sessionDeadline();
          ByteSequence key = ByteSequence.from(ta.key(), UTF_8);
          long gone = -1;
          long end = System.nanoTime() + ttl.toNanos() + Duration.ofSeconds(5).toNanos();
          while (System.nanoTime() - end < 0) {
            if (etcd.admin().getKVClient().get(key).get(2, TimeUnit.SECONDS).getKvs().isEmpty()) {
              gone = System.nanoTime();
              break;
            }
            Thread.sleep(2);
          }
          assertThat(gone).as("the partitioned leader's key expired").isPositive();
          hb.get(10, TimeUnit.SECONDS);
          long elected = System.nanoTime();
          failover[run] = elected - cut;
          deadlineAfterCut[run] = localDeadline - cut;
          keyGoneAfterDeadline[run] = gone - localDeadline;
        } finally {
          a.close();
          b.close();
        }
      }
    }
    System.out.println("MEASURE crash failover with lease TTL " + ttl.toMillis() + " ms (cut -> successor elected): "
        + stats(failover));
    System.out.println("MEASURE TTL " + ttl.toMillis() + " ms: local deadline after the cut: "
        + stats(deadlineAfterCut));
    System.out.println("MEASURE TTL " + ttl.toMillis() + " ms: server deleted the key this long after the local "
        + "deadline: " + stats(keyGoneAfterDeadline));
    for (long lead : keyGoneAfterDeadline) {
      assertThat(lead).as("rule 1.3: the local deadline passes before the server expires the lease").isPositive();
    }
  }
}
