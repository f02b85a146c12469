package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's two scale shapes on one etcd member, through the public API, printing (never asserting) the times:
 * {@code N} elections with one candidate each on ONE session, and {@code N} candidates in ONE election over ten
 * sessions. A measurement, not a check, so it is opt-in:
 * {@code ./mvnw -o -pl elector-etcd verify -Dtest=EtcdScaleMeasurementTest -Pmeasure
 * -Delector.measure.n=10000 -Dsurefire.failIfNoSpecifiedTests=false}. The assertions only say that every election
 * was decided within the cap; the session events seen are printed.
 */
@Tag("measurement")
class EtcdScaleMeasurementTest {
  private static final int N = Integer.getInteger("elector.measure.n", 10_000);
  private static final Duration CAP = Duration.ofSeconds(Long.getLong("elector.measure.capSeconds", 60));
  static EtcdCluster etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdCluster.start(1);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static String uri(String root) {
    // The benchmark's options: a 10 s session and a 3 s operation timeout.
    return "etcd://" + etcd.endpoint(0) + "/" + root
        + "?sessionTimeout=10s&connectTimeout=10s&operationTimeout=3s";
  }

  private static LeadershipListener counting(AtomicInteger elected, AtomicLong firstAt) {
    return new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        firstAt.compareAndSet(0, System.nanoTime());
        elected.incrementAndGet();
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {
      }
    };
  }

  /** The heap in use after full collections: the lowest of a few readings. */
  private static long usedHeap() throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      best = Math.min(best, Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    }
    return best;
  }

  private static boolean poll(Duration cap, java.util.function.BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + cap.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Test
  void manyElectionsOnOneSession() throws Exception {
    String root = EtcdCluster.unique("many");
    AtomicInteger elected = new AtomicInteger();
    AtomicLong first = new AtomicLong();
    List<String> events = new CopyOnWriteArrayList<>();
    try (ElectionClient client = Elections.connect(uri(root))) {
      long heap0 = usedHeap();
      long t0 = System.nanoTime();
      client.addSessionListener(Runnable::run, (s, id) -> events.add(
          String.format("%s at %.2f s", s, (System.nanoTime() - t0) / 1e9)));
      List<Candidate> candidates = new ArrayList<>(N);
      for (int i = 0; i < N; i++) {
        candidates.add(client.election("e" + i).candidate("m" + i).listener(Runnable::run, counting(elected, first))
            .join());
      }
      long joinCalls = System.nanoTime() - t0;
      boolean all = poll(CAP, () -> elected.get() >= N);
      long t = System.nanoTime() - t0;
      long perCandidate = (usedHeap() - heap0) / N;
      System.out.printf("[measure] %,d elections on 1 session: join() calls %.2f s; %s %,d elected in %.2f s;"
          + " session events %s; state now %s; client heap per candidate %,d bytes%n", N,
          joinCalls / 1e9, all ? "all" : "ONLY", elected.get(), t / 1e9, events, client.sessionState(),
          perCandidate);
      assertThat(elected.get()).isEqualTo(N);
    }
  }

  @Test
  void manyCandidatesInOneElectionOverTenSessions() throws Exception {
    String root = EtcdCluster.unique("one");
    int sessions = 10;
    AtomicInteger elected = new AtomicInteger();
    AtomicLong first = new AtomicLong();
    List<String> events = new CopyOnWriteArrayList<>();
    List<ElectionClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < sessions; i++) {
        ElectionClient c = Elections.connect(uri(root));
        int idx = i;
        c.addSessionListener(Runnable::run, (s, id) -> {
          if (s != SessionState.CONNECTED || !events.isEmpty()) {
            events.add("client " + idx + " " + s);
          }
        });
        clients.add(c);
      }
      List<Candidate> candidates = new ArrayList<>(N);
      long heap0 = usedHeap();
      long t0 = System.nanoTime();
      for (int i = 0; i < N; i++) {
        candidates.add(clients.get(i % sessions).election("one").candidate("s" + i)
            .listener(Runnable::run, counting(elected, first)).join());
      }
      AtomicLong firstJoined = new AtomicLong();
      boolean joined = poll(CAP, () -> {
        if (firstJoined.get() == 0 && candidates.stream().anyMatch(c -> c.state() != CandidateState.JOINING)) {
          firstJoined.set(System.nanoTime());
        }
        return candidates.stream().allMatch(c -> c.state() != CandidateState.JOINING);
      });
      long joinNanos = System.nanoTime() - t0;
      boolean led = poll(CAP, () -> first.get() != 0);
      long perCandidate = (usedHeap() - heap0) / N;
      System.out.printf("[measure] %,d candidates in 1 election over %d sessions: first joined after %.2f s, %s"
          + " joined in %.2f s; first leader %s; session events %s; client heap per candidate %,d bytes%n", N,
          sessions, (firstJoined.get() - t0) / 1e9, joined ? "all" : "NOT all", joinNanos / 1e9,
          led ? String.format("after %.2f s", (first.get() - t0) / 1e9) : "NONE within " + CAP.toSeconds() + " s",
          events, perCandidate);
      assertThat(led).as("a leader within %s", CAP).isTrue();
    } finally {
      clients.forEach(ElectionClient::close);
    }
  }
}
