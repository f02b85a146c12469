package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import dev.elector.faultproxy.FaultProxy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The backend at the SPI level against a real single-member etcd. */
class EtcdBackendTest {
  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(10);
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final String root = "/" + EtcdCluster.unique("t");


  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private ClientConfig config(Duration session, List<String> endpoints) {
    return ClientConfig.builder("etcd").endpoints(endpoints).root(root).sessionTimeout(session)
        .connectTimeout(Duration.ofSeconds(3)).operationTimeout(Duration.ofSeconds(2)).build();
  }

  private ElectionBackend connect(Recorder r) {
    return connect(r, TTL, etcd.endpoints());
  }

  private ElectionBackend connect(Recorder r, Duration session, List<String> endpoints) {
    ElectionBackend b = new EtcdElectionProvider().connect(config(session, endpoints), r);
    closeables.add(b);
    return b;
  }

  private FaultProxy proxy() {
    FaultProxy p = FaultProxy.start("127.0.0.1", Integer.parseInt(etcd.endpoint(0).split(":")[1]));
    closeables.add(p);
    return p;
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Throwable failure(java.util.concurrent.CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("stage did not fail within " + WAIT, e);
    }
    throw new AssertionError("stage completed normally, expected a failure");
  }

  private long keys(String election) throws Exception {
    return etcd.admin().getKVClient().get(ByteSequence.from(root + "/" + election + "/", UTF_8),
        GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(5, TimeUnit.SECONDS).getCount();
  }

  /** The tickets (SPEC rule 4.8) under {@code election}. */
  private long tickets(String election) throws Exception {
    String prefix = root + "/" + election + "/";
    return etcd.admin().getKVClient().get(ByteSequence.from(prefix, UTF_8), GetOption.builder().isPrefix(true)
        .withKeysOnly(true).build()).get(5, TimeUnit.SECONDS).getKvs().stream()
        .filter(kv -> TicketNames.ticketName(kv.getKey().toString(UTF_8), prefix) != null).count();
  }

  @Test
  void connectReportsALiveSessionWithADeadlineAhead() {
    Recorder r = new Recorder();
    ElectionBackend b = connect(r);
    assertThat(b.sessionId()).isNotZero();
    assertThat(b.sessionDeadline() - System.nanoTime()).isPositive()
        .isLessThanOrEqualTo(TTL.toNanos());
    assertThat(r.kinds()).containsExactly(Kind.CONNECTED);
    // The backend renews the lease by itself: the deadline moves on.
    long first = b.sessionDeadline();
    await().atMost(WAIT).until(() -> b.sessionDeadline() - first > 0);
    b.close();
    assertThat(r.kinds()).containsExactly(Kind.CONNECTED, Kind.CLOSED);
    assertThat(b.sessionDeadline() - System.nanoTime()).isNegative();
  }

  @Test
  void theFirstInLineLeadsAndTheNextLeadsWhenItLeaves() throws Exception {
    ElectionBackend a = connect(new Recorder());
    ElectionBackend b = connect(new Recorder());
    ElectionBackend c = connect(new Recorder());
    Ticket ta = get(a.enqueue("e", "a", "A".getBytes(UTF_8)));
    Ticket tb = get(b.enqueue("e", "b", "B".getBytes(UTF_8)));
    Ticket tc = get(c.enqueue("e", "c", new byte[0]));
    assertThat(ta.token()).isLessThan(tb.token());
    assertThat(tb.token()).isLessThan(tc.token());
    assertThat(ta.sessionId()).isEqualTo(a.sessionId());

    get(a.awaitHead(ta));
    CompletableFuture<Void> hb = b.awaitHead(tb).toCompletableFuture();
    CompletableFuture<Void> hc = c.awaitHead(tc).toCompletableFuture();
    List<Participant> line = get(a.line("e"));
    assertThat(line).extracting(Participant::candidateId).containsExactly("a", "b", "c");
    assertThat(line).extracting(Participant::token).containsExactly(ta.token(), tb.token(), tc.token());
    assertThat(line.get(0).dataAsString()).isEqualTo("A");
    assertThat(hb).isNotDone();

    get(a.remove(ta));
    get(hb);
    assertThat(hc).isNotDone();
    // Handoff on close: the lease is revoked, its key goes at once.
    b.close();
    hc.get(5, TimeUnit.SECONDS);
    assertThat(get(c.line("e"))).extracting(Participant::candidateId).containsExactly("c");
  }

  @Test
  void aCrashedLeadersLeaseExpiresAndTheSuccessorLeadsAfterTheLeadersDeadline() throws Exception {
    FaultProxy p = proxy();
    Recorder ra = new Recorder();
    ElectionBackend a = connect(ra, TTL, List.of(p.endpoint()));
    ElectionBackend b = connect(new Recorder());
    Ticket ta = get(a.enqueue("e", "a", new byte[0]));
    get(a.awaitHead(ta));
    Ticket tb = get(b.enqueue("e", "b", new byte[0]));
    CompletableFuture<Void> hb = b.awaitHead(tb).toCompletableFuture();

    p.partition();
    long cut = System.nanoTime();
    hb.get(TTL.toSeconds() + 5, TimeUnit.SECONDS);
    long elected = System.nanoTime();
    // Rule 1.3: the partitioned leader's deadline passed before the successor was elected.
    assertThat(a.sessionDeadline() - elected).isNegative();
    await().atMost(WAIT).until(() -> ra.kinds().contains(Kind.SUSPENDED));
    System.out.printf("crash failover: successor elected %d ms after the partition (TTL %d ms)%n",
        TimeUnit.NANOSECONDS.toMillis(elected - cut), TTL.toMillis());

    // Healed, the old session is found expired: a new one, and the old ticket is gone.
    p.heal();
    await().atMost(WAIT).until(() -> ra.kinds().contains(Kind.CONNECTED) && ra.kinds().contains(Kind.EXPIRED)
        && ra.kinds().lastIndexOf(Kind.CONNECTED) > ra.kinds().indexOf(Kind.EXPIRED));
    assertThat(a.sessionId()).isNotEqualTo(ta.sessionId()).isNotZero();
    assertThat(get(b.line("e"))).extracting(Participant::candidateId).containsExactly("b");
  }

  @Test
  void aLeaseRevokedOnTheServerExpiresTheSessionAndTheCandidateRejoinsAtTheBack() throws Exception {
    Recorder ra = new Recorder();
    ElectionBackend a = connect(ra);
    ElectionBackend b = connect(new Recorder());
    Ticket tb = get(b.enqueue("e", "b", new byte[0]));
    Ticket ta = get(a.enqueue("e", "a", new byte[0]));
    CompletableFuture<Void> ha = a.awaitHead(ta).toCompletableFuture();
    long old = a.sessionId();

    etcd.admin().getLeaseClient().revoke(old).get(5, TimeUnit.SECONDS);
    Throwable t = failure(ha);
    assertThat(t).isInstanceOf(SessionLostException.class);
    assertThat(((SessionLostException) t).expired()).isTrue();
    await().atMost(WAIT).until(() -> a.sessionId() != 0 && a.sessionId() != old);
    assertThat(ra.kinds()).containsSubsequence(Kind.CONNECTED, Kind.EXPIRED, Kind.CONNECTED);
    assertThat(ra.events.get(ra.events.size() - 1).event().sessionId()).isEqualTo(a.sessionId());

    Ticket again = get(a.enqueue("e", "a", new byte[0]));
    assertThat(again.token()).isGreaterThan(tb.token());
    assertThat(get(a.line("e"))).extracting(Participant::candidateId).containsExactly("b", "a");
    assertThat(failure(a.awaitHead(ta))).isInstanceOf(SessionLostException.class);
  }

  @Test
  void aTicketDeletedBySomeoneElseIsReportedLostAndNeverLeads() throws Exception {
    Recorder rb = new Recorder();
    ElectionBackend a = connect(new Recorder());
    ElectionBackend b = connect(rb);
    Ticket ta = get(a.enqueue("e", "a", new byte[0]));
    Ticket tb = get(b.enqueue("e", "b", new byte[0]));
    CompletableFuture<Void> hb = b.awaitHead(tb).toCompletableFuture();
    await().atMost(WAIT).pollDelay(Duration.ofMillis(100)).until(() -> !hb.isDone());

    etcd.admin().getKVClient().delete(ByteSequence.from(tb.key(), UTF_8)).get(5, TimeUnit.SECONDS);
    assertThat(failure(hb)).isInstanceOf(TicketLostException.class);
    await().atMost(WAIT).until(() -> rb.lost.contains(tb));
    // No phantom leadership: with the predecessor gone, the deleted ticket still does not lead.
    get(a.remove(ta));
    assertThat(failure(b.awaitHead(tb))).isInstanceOf(TicketLostException.class);
    assertThat(b.sessionId()).isEqualTo(tb.sessionId());
  }

  @Test
  void aRangeDeleteOfTheFirstTicketAndItsSuccessorNeverElectsTheSuccessor() throws Exception {
    ElectionBackend a = connect(new Recorder());
    EtcdBackend b = (EtcdBackend) connect(new Recorder());
    for (int round = 0; round < 5; round++) {
      String e = "range" + round;
      Ticket ta = get(a.enqueue(e, "a", new byte[0]));
      get(a.awaitHead(ta));
      Ticket tb = get(b.enqueue(e, "b", new byte[0]));
      CompletableFuture<Void> hb = b.awaitHead(tb).toCompletableFuture();
      await().atMost(WAIT).until(() -> b.watchesOpen() == 2);
      // Both keys go at one revision: whichever of the two watches speaks first, b is not first in line.
      etcd.admin().getKVClient().delete(ByteSequence.from(root + "/" + e + "/", UTF_8),
          DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
      assertThat(failure(hb)).as("round %d", round).isInstanceOf(TicketLostException.class);
      await().atMost(WAIT).until(() -> b.watchesOpen() == 0);
    }
  }

  @Test
  void aWaitForATicketWhoseKeyIsAlreadyGoneFails() throws Exception {
    ElectionBackend a = connect(new Recorder());
    Ticket ta = get(a.enqueue("e", "a", new byte[0]));
    get(a.awaitHead(ta));
    etcd.admin().getKVClient().delete(ByteSequence.from(ta.key(), UTF_8)).get(5, TimeUnit.SECONDS);
    // Whether the watch or the read sees it first, the answer is the same: not first in line.
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(failure(a.awaitHead(ta))).isInstanceOf(TicketLostException.class));
  }

  @Test
  void headWatchReportsTheHeadEveryChangeAndNoLeader() throws Exception {
    ElectionBackend a = connect(new Recorder());
    ElectionBackend o = connect(new Recorder());
    List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
    HeadWatch w = o.watchHead("e", new HeadListener() {
      @Override
      public void headChanged(Optional<Participant> head) {
        seen.add(head);
      }

      @Override
      public void failed(Throwable cause) {
        seen.add(null);
      }
    });
    await().atMost(WAIT).until(() -> seen.size() == 1);
    assertThat(seen.get(0)).isEmpty();
    Ticket ta = get(a.enqueue("e", "a", "1".getBytes(UTF_8)));
    Ticket tb = get(a.enqueue("e", "b", new byte[0]));
    await().atMost(WAIT).until(() -> seen.size() == 2);
    assertThat(seen.get(1)).hasValueSatisfying(p -> {
      assertThat(p.candidateId()).isEqualTo("a");
      assertThat(p.token()).isEqualTo(ta.token());
    });
    get(a.update(ta, "2".getBytes(UTF_8)));
    await().atMost(WAIT).until(() -> seen.size() == 3);
    assertThat(seen.get(2)).hasValueSatisfying(p -> assertThat(p.dataAsString()).isEqualTo("2"));
    get(a.remove(ta));
    await().atMost(WAIT).until(() -> seen.size() == 4);
    assertThat(seen.get(3)).hasValueSatisfying(p -> assertThat(p.token()).isEqualTo(tb.token()));
    get(a.remove(tb));
    await().atMost(WAIT).until(() -> seen.size() == 5);
    assertThat(seen.get(4)).isEmpty();
    w.cancel();
    // A second watch on the same session shares the cancelled one's event stream: once it has seen c become the
    // head, any late delivery to the cancelled watch would have happened too.
    List<Optional<Participant>> later = new CopyOnWriteArrayList<>();
    HeadWatch w2 = o.watchHead("e", new HeadListener() {
      @Override
      public void headChanged(Optional<Participant> head) {
        later.add(head);
      }

      @Override
      public void failed(Throwable cause) {
        later.add(null);
      }
    });
    await().atMost(WAIT).until(() -> later.size() == 1);
    get(a.enqueue("e", "c", new byte[0]));
    await().atMost(WAIT).until(() -> later.stream().anyMatch(h -> h != null && h.isPresent()
        && h.get().candidateId().equals("c")));
    w2.cancel();
    assertThat(seen).as("nothing after cancel").hasSize(5);
  }

  @Test
  void aSuccessorThatStartsWaitingJustBeforeTheLeaderLeavesIsElectedWithoutWaitingForALease() throws Exception {
    // A 10 s lease: a successor elected within 2 s was handed over to, not left to wait for an expiry.
    ElectionBackend a = connect(new Recorder(), Duration.ofSeconds(10), etcd.endpoints());
    ElectionBackend b = connect(new Recorder(), Duration.ofSeconds(10), etcd.endpoints());
    Ticket head = get(a.enqueue("churn", "a", new byte[0]));
    get(a.awaitHead(head));
    ElectionBackend owner = a;
    for (int i = 0; i < 20; i++) {
      ElectionBackend next = owner == a ? b : a;
      Ticket t = get(next.enqueue("churn", "x" + i, new byte[0]));
      CompletableFuture<Void> elected = next.awaitHead(t).toCompletableFuture();
      owner.remove(head);
      elected.get(2, TimeUnit.SECONDS);
      assertThat(get(next.line("churn"))).extracting(Participant::token).containsExactly(t.token());
      head = t;
      owner = next;
    }
  }

  @Test
  void updateReplacesTheDataAndFailsForAGoneTicket() throws Exception {
    ElectionBackend a = connect(new Recorder());
    Ticket ta = get(a.enqueue("e", "a", "x".getBytes(UTF_8)));
    get(a.update(ta, "y".getBytes(UTF_8)));
    assertThat(get(a.line("e")).get(0).dataAsString()).isEqualTo("y");
    get(a.remove(ta));
    get(a.remove(ta));
    assertThat(failure(a.update(ta, "z".getBytes(UTF_8)))).isInstanceOf(TicketLostException.class);
    assertThat(failure(a.awaitHead(ta))).isInstanceOf(TicketLostException.class);
    assertThat(keys("e")).isZero();
  }

  @Test
  void aJoinThatCannotReachEtcdLeavesNoKeyBehind() throws Exception {
    FaultProxy p = proxy();
    ElectionBackend a = connect(new Recorder(), Duration.ofSeconds(10), List.of(p.endpoint()));
    p.latency(Duration.ofMillis(1500));
    // The request reaches etcd late, after the 2 s operation timeout, so its answer is lost to the caller.
    CompletableFuture<Ticket> t = a.enqueue("e", "a", new byte[0]).toCompletableFuture();
    Throwable failure = failure(t);
    assertThat(failure).isInstanceOfAny(BackendUnavailableException.class, SessionLostException.class);
    p.heal();
    await().atMost(WAIT).untilAsserted(() -> assertThat(tickets("e")).isZero());
    // The clean-up's fence (see EtcdBackend's "no orphan" note) is not a ticket and goes with the lease.
    a.close();
    await().atMost(WAIT).untilAsserted(() -> assertThat(keys("e")).isZero());
  }

  /**
   * Removals that fail behind a partition leave clean-ups behind; the engine retries a failed
   * removal, so the same ticket's removal fails again and again. The clean-ups pending must stay one per ticket at
   * most, and after the heal all of them finish and every key is gone (within the lease's 10 s TTL, renewed
   * meanwhile: the clean-ups removed them, not the lease).
   */
  @Test
  void cleanUpsBehindAPartitionStayOnePerTicketAndAllFinishAfterTheHeal() throws Exception {
    FaultProxy p = proxy();
    EtcdBackend a = (EtcdBackend) connect(new Recorder(), Duration.ofSeconds(10), List.of(p.endpoint()));
    int tickets = 20;
    int removalsPerTicket = 3;
    List<Ticket> ts = new ArrayList<>();
    for (int i = 0; i < tickets; i++) {
      ts.add(get(a.enqueue("e", "c" + i, new byte[0])));
    }
    p.partition();
    List<CompletableFuture<Void>> removals = new ArrayList<>();
    for (int round = 0; round < removalsPerTicket; round++) {
      for (Ticket t : ts) {
        removals.add(a.remove(t).toCompletableFuture());
      }
    }
    for (CompletableFuture<Void> r : removals) {
      failure(r);
    }
    int pending = a.cleanUpsPending();
    System.out.printf("clean-ups pending behind the partition: %d for %d tickets removed %d times each%n", pending,
        tickets, removalsPerTicket);
    assertThat(pending).isLessThanOrEqualTo(tickets);
    p.heal();
    await().atMost(Duration.ofSeconds(6)).untilAsserted(() -> {
      assertThat(tickets("e")).isZero();
      assertThat(a.cleanUpsPending()).isZero();
    });
    assertThat(a.sessionId()).isEqualTo(ts.get(0).sessionId());
  }

  @Test
  void behindAPartitionEveryQueuedJoinFailsWithinTheOperationTimeout() throws Exception {
    FaultProxy p = proxy();
    ElectionBackend a = connect(new Recorder(), Duration.ofSeconds(10), List.of(p.endpoint()));
    p.partition();
    // Far more joins than the session lets be in flight: most wait in its queue, and must not wait there forever.
    List<CompletableFuture<Ticket>> joins = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 300; i++) {
      joins.add(a.enqueue("q" + (i % 7), "c" + i, new byte[0]).toCompletableFuture());
    }
    // operationTimeout is 2 s; a join retries a quick failure within it, so allow two of them plus scheduling.
    CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).exceptionally(e -> null)
        .get(10, TimeUnit.SECONDS);
    long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(elapsedMs).as("every queued join failed within 2 x operationTimeout + 2 s").isLessThan(6_000);
    for (CompletableFuture<Ticket> j : joins) {
      assertThat(failure(j)).isInstanceOfAny(BackendUnavailableException.class, SessionLostException.class);
    }
    p.heal();
  }

  @Test
  void sessionTimeoutsBelowEtcdsLeaseFloorAreRejectedBeforeAnyIo() {
    ClientConfig c = config(Duration.ofMillis(1500), List.of("127.0.0.1:1"));
    assertThatThrownBy(() -> new EtcdElectionProvider().validate(c))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("sessionTimeout")
        .hasMessageContaining("2 seconds");
    ClientConfig bad = ClientConfig.builder("etcd").endpoints("localhost").build();
    assertThatThrownBy(() -> new EtcdElectionProvider().validate(bad))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("host:port");
    ClientConfig onlyUser = ClientConfig.builder("etcd").endpoints("localhost:2379").option("username", "u").build();
    assertThatThrownBy(() -> new EtcdElectionProvider().validate(onlyUser))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("password");
  }

  @Test
  void connectingToNoEtcdFailsWithinTheConnectTimeoutNamingTheEndpoint() throws Exception {
    FaultProxy p = proxy();
    p.partition(); // accepts connections, never answers
    ClientConfig c = ClientConfig.builder("etcd").endpoints(p.endpoint()).root(root).sessionTimeout(TTL)
        .connectTimeout(Duration.ofSeconds(1)).build();
    long start = System.nanoTime();
    assertThatThrownBy(() -> new EtcdElectionProvider().connect(c, new Recorder()))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining(p.endpoint());
    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(3).toNanos());
  }
}
