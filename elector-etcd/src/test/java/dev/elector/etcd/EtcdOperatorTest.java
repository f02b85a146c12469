package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.Subscription;
import dev.elector.faultproxy.FaultProxy;
import io.etcd.jetcd.ByteSequence;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator (or another tool) does to Elector's keys with etcd's own client, on a real single-member etcd:
 * deleting a leader's key, writing keys Elector did not write, nesting one application's root inside another's
 * election (SPEC rule 4.8).
 */
class EtcdOperatorTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private static ElectionClient connect(String endpoint, String root) {
    return Elections.connect("etcd://" + endpoint + root + "?sessionTimeout=3s&connectTimeout=3s");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  /**
   * An operator deletes the leader's key while a successor waits. The successor sees the delete
   * and leads at once (its fast path, no read); the old leader must end its term when its own session sees the
   * delete, not one keep-alive round trip later. A leader can learn of an operator's delete only from its watch, so
   * when the successor's watch hears it first the terms overlap by that skew whatever the backend does (on loopback
   * through plain proxies at a load average of 14: 8 rounds in 20, up to 15 ms); the test orders the two deliveries with latency: the leader's client
   * 30 ms from etcd, the successor's 60 ms. Leader hears at +30 ms, successor at +60 ms; a round trip would end the
   * old term at +90 ms. Checked exactly: the successor's {@code elected} callback, run on the callback thread, asks
   * the old term {@code isValid()}.
   */
  @Test
  void deletingTheLeadersKeyEndsItsTermWithoutARoundTrip() throws Exception {
    String root = "/" + EtcdCluster.unique("op");
    int rounds = 3;
    int overlaps = 0;
    long worstNanos = 0;
    try (FaultProxy pa = FaultProxy.start(etcd.endpoint(0)); FaultProxy pb = FaultProxy.start(etcd.endpoint(0));
        ElectionClient c1 = connect(pa.endpoint(), root); ElectionClient c2 = connect(pb.endpoint(), root)) {
      pa.latency(Duration.ofMillis(30));
      pb.latency(Duration.ofMillis(60));
      for (int round = 0; round < rounds; round++) {
        String election = "e" + round;
        Candidate a = c1.election(election).join("a");
        Leadership ta = a.awaitLeadership(WAIT);
        CompletableFuture<Boolean> oldValidAtElection = new CompletableFuture<>();
        CompletableFuture<Long> electedAt = new CompletableFuture<>();
        Candidate b = c2.election(election).candidate("b").listener(Runnable::run, new LeadershipListener() {
          @Override
          public void elected(Leadership term) {
            oldValidAtElection.complete(ta.isValid());
            electedAt.complete(System.nanoTime());
          }

          @Override
          public void revoked(Leadership term, EndReason reason) {}
        }).join();
        await().atMost(WAIT).until(() -> c2.election(election).participants().toCompletableFuture()
            .get(5, TimeUnit.SECONDS).size() == 2);
        // Let b's wait settle on its predecessor (a read through 60 ms each way), so that the delete finds it
        // waiting: the fast path, the successor's quickest way to lead.
        Thread.sleep(500);
        List<String> keys = EtcdFixture.ticketKeys(etcd.admin(), root + "/" + election + "/", "a");
        assertThat(keys).hasSize(1);
        etcd.admin().getKVClient().delete(bytes(keys.get(0))).get(5, TimeUnit.SECONDS);
        boolean overlapped = oldValidAtElection.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long elected = electedAt.get();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> !ta.isValid());
        if (overlapped) {
          overlaps++;
          worstNanos = Math.max(worstNanos, System.nanoTime() - elected);
        }
        b.close();
        a.close();
      }
    }
    System.out.printf("operator delete of the leader's key: %d overlaps in %d rounds, longest at least %.1f ms%n",
        overlaps, rounds, worstNanos / 1e6);
    assertThat(overlaps).as("rounds in which the old leader was still valid when the successor was elected "
        + "(longest at least %.1f ms)", worstNanos / 1e6).isZero();
  }

  private static Optional<Participant> leader(ElectionClient c, String election) throws Exception {
    return c.election(election).leader().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static List<String> ids(ElectionClient c, String election) throws Exception {
    return c.election(election).participants().toCompletableFuture().get(5, TimeUnit.SECONDS).stream()
        .map(Participant::candidateId).toList();
  }

  /**
   * SPEC rule 4.8: one application uses root {@code /R} and election {@code jobs}, another
   * root {@code /R/jobs}: the second one's keys lie under the first one's election prefix. Each elects its own
   * leader at once and sees only its own participants. The nested application joins first, so its key is older.
   */
  @Test
  void nestedRootsAreTwoApplicationsThatNeverShareALine() throws Exception {
    String outer = "/" + EtcdCluster.unique("nest");
    String inner = outer + "/jobs";
    try (ElectionClient ci = connect(etcd.endpoint(0), inner); ElectionClient co = connect(etcd.endpoint(0), outer)) {
      List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
      Subscription sub = co.election("jobs").observe(Runnable::run, seen::add);
      Candidate y = ci.election("x").join("inner");
      y.awaitLeadership(Duration.ofSeconds(6));
      Candidate x = co.election("jobs").join("outer");
      x.awaitLeadership(Duration.ofSeconds(6));
      assertThat(ids(co, "jobs")).containsExactly("outer");
      assertThat(ids(ci, "x")).containsExactly("inner");
      assertThat(leader(co, "jobs")).map(Participant::candidateId).hasValue("outer");
      await().atMost(WAIT).until(() -> seen.stream().anyMatch(h -> h.isPresent()));
      assertThat(seen).allSatisfy(h -> assertThat(h.map(Participant::candidateId).orElse("outer"))
          .isEqualTo("outer"));
      sub.cancel();
      x.close();
      y.close();
    }
  }

  /**
   * SPEC rule 4.8: a key directly under an election whose name is not a ticket name, and a key a level deeper, are
   * not participants: a candidate that joins after them leads at once, and neither is listed nor reported.
   */
  @Test
  void foreignKeysUnderAnElectionNeitherBlockNorAreListed() throws Exception {
    String root = "/" + EtcdCluster.unique("foreign");
    String prefix = root + "/e/";
    etcd.admin().getKVClient().put(bytes(prefix + "operator-notes"), bytes("hello")).get(5, TimeUnit.SECONDS);
    etcd.admin().getKVClient().put(bytes(prefix + "deeper/level"), bytes("x")).get(5, TimeUnit.SECONDS);
    try (ElectionClient c = connect(etcd.endpoint(0), root)) {
      List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
      Subscription sub = c.election("e").observe(Runnable::run, seen::add);
      await().atMost(WAIT).until(() -> !seen.isEmpty());
      assertThat(seen.get(0)).isEmpty();
      Candidate a = c.election("e").join("a");
      a.awaitLeadership(Duration.ofSeconds(6));
      assertThat(ids(c, "e")).containsExactly("a");
      assertThat(leader(c, "e")).map(Participant::candidateId).hasValue("a");
      // Written while a leads: still nothing.
      etcd.admin().getKVClient().put(bytes(prefix + "late-note"), bytes("x")).get(5, TimeUnit.SECONDS);
      etcd.admin().getKVClient().put(bytes(prefix + "0/nested"), bytes("x")).get(5, TimeUnit.SECONDS);
      a.close();
      await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).isEmpty() && seen.size() >= 3);
      assertThat(seen).extracting(h -> h.map(Participant::candidateId).orElse("")).containsExactly("", "a", "");
      sub.cancel();
    }
  }

  /**
   * SPEC rule 4.8: a key whose name is a ticket name but whose value Elector cannot read (a newer Elector's ticket,
   * say) keeps its place: the candidate behind it waits, and {@code participants()}, {@code leader()} and observers
   * report it under its key name with empty data. Once it is deleted the candidate leads.
   */
  @Test
  void anUndecodableTicketHoldsItsPlaceAndIsListedByName() throws Exception {
    String root = "/" + EtcdCluster.unique("undecodable");
    String name = "7fffffff-" + java.util.UUID.randomUUID();
    etcd.admin().getKVClient().put(bytes(root + "/e/" + name), bytes("not a ticket")).get(5, TimeUnit.SECONDS);
    try (ElectionClient c = connect(etcd.endpoint(0), root)) {
      List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
      Subscription sub = c.election("e").observe(Runnable::run, seen::add);
      Candidate a = c.election("e").join("a");
      await().atMost(WAIT).until(() -> ids(c, "e").size() == 2);
      assertThat(ids(c, "e")).containsExactly(name, "a");
      assertThat(leader(c, "e")).hasValueSatisfying(p -> {
        assertThat(p.candidateId()).isEqualTo(name);
        assertThat(p.data()).isEmpty();
      });
      await().atMost(WAIT).until(() -> !seen.isEmpty());
      assertThat(seen.get(0)).map(Participant::candidateId).hasValue(name);
      assertThat(a.leadership()).isEmpty();
      etcd.admin().getKVClient().delete(bytes(root + "/e/" + name)).get(5, TimeUnit.SECONDS);
      a.awaitLeadership(Duration.ofSeconds(6));
      await().atMost(WAIT).until(() -> seen.get(seen.size() - 1).map(Participant::candidateId)
          .equals(Optional.of("a")));
      sub.cancel();
      a.close();
    }
  }
}
