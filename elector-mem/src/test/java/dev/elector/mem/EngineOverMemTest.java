package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's behaviour, driven through the public API over the in-memory backend. */
class EngineOverMemTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final List<ElectionClient> clients = new ArrayList<>();
  private ExecutorService app;
  private String cluster;

  @BeforeEach
  void setUp() {
    cluster = "engine-" + UUID.randomUUID();
    app = Executors.newFixedThreadPool(2, r -> new Thread(r, "app-executor"));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    clients.forEach(ElectionClient::close);
    app.shutdownNow();
    assertThat(app.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private ElectionClient client(Duration sessionTimeout) {
    ElectionClient c = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/test")
        .sessionTimeout(sessionTimeout).operationTimeout(Duration.ofSeconds(2)).build());
    clients.add(c);
    return c;
  }

  private ElectionClient client() {
    return client(Duration.ofSeconds(2));
  }

  private static List<Candidate> leaders(List<Candidate> cs) {
    return cs.stream().filter(Candidate::isLeader).collect(Collectors.toList());
  }

  /** Records callbacks with the thread they ran on. */
  static final class Recorder implements LeadershipListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final List<Long> tokens = new CopyOnWriteArrayList<>();

    @Override
    public void elected(Leadership term) {
      threads.add(Thread.currentThread().getName());
      tokens.add(term.token());
      events.add("elected");
    }

    @Override
    public void revoked(Leadership term, EndReason reason) {
      threads.add(Thread.currentThread().getName());
      events.add("revoked:" + reason);
    }
  }

  @Test
  void exactlyOneLeaderAmongTenCandidatesOnThreeClients() throws Exception {
    List<ElectionClient> cs = List.of(client(), client(), client());
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      candidates.add(cs.get(i % 3).election("jobs").join("c" + i));
    }
    await().atMost(WAIT).until(() -> leaders(candidates).size() == 1);
    Candidate leader = leaders(candidates).get(0);
    await().atMost(WAIT).until(() -> candidates.stream().filter(c -> c.state() == CandidateState.WAITING).count() == 9);
    assertThat(leaders(candidates)).containsExactly(leader);
    List<Participant> line = cs.get(0).election("jobs").participants().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(line).hasSize(10);
    assertThat(line.get(0).candidateId()).as("the leader is the head of the line").isEqualTo(leader.id());
    assertThat(line.get(0).token()).isEqualTo(leader.leadership().orElseThrow().token());
  }

  @Test
  void resignHandsOverToTheNextAndGoesToTheBack() throws Exception {
    Election e = client().election("resign");
    Candidate a = e.join("a");
    Candidate b = e.join("b");
    Leadership first = a.awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> e.participants().toCompletableFuture().get().size() == 2);
    a.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(first.isValid()).isFalse();
    assertThat(first.ended().toCompletableFuture().getNow(null)).isEqualTo(EndReason.RESIGNED);
    Leadership second = b.awaitLeadership(WAIT);
    assertThat(second.token()).isGreaterThan(first.token());
    await().atMost(WAIT).untilAsserted(() -> assertThat(e.participants().toCompletableFuture().get())
        .extracting(Participant::candidateId).containsExactly("b", "a"));
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void suspendedSessionEndsTheTermAtOnceBeforeAnyCallback() throws Exception {
    ElectionClient client = client();
    CountDownLatch hold = new CountDownLatch(1);
    Recorder rec = new Recorder();
    Candidate a = client.election("suspend").candidate("a").listener(app, rec).join();
    Leadership term = a.awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> rec.events.size() == 1);
    // Block the application's executor so no callback can be delivered while we look.
    app.execute(() -> {
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    app.execute(() -> {
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    MemCluster.named(cluster).partition(client.sessionId());
    assertThat(term.isValid()).as("valid right after the partition").isFalse();
    assertThat(a.isLeader()).isFalse();
    assertThat(rec.events).containsExactly("elected");
    hold.countDown();
    await().atMost(WAIT).until(() -> rec.events.size() == 2);
    assertThat(rec.events).containsExactly("elected", "revoked:SESSION_SUSPENDED");
    MemCluster.named(cluster).heal(client.sessionId());
    Leadership again = a.awaitLeadership(WAIT);
    assertThat(again.token()).as("same ticket, same token").isEqualTo(term.token());
  }

  /**
   * A cut made right after a heal holds: the heal reaches the client later, on the network thread, and must not undo
   * the newer cut (a randomized TCK run healed a client and cut it off again 0.2 ms later; the client believed
   * itself connected, its leader never stepped down, and the server expired the session and elected another).
   */
  @Test
  void aCutRightAfterAHealHoldsAndTheLeaderStepsDownBeforeTheSuccessor() throws Exception {
    LeaderAndWaiter lw = leaderAndWaiter("recut");
    Leadership term = lw.term();
    MemCluster mem = MemCluster.named(cluster);
    long id = lw.leaderClient().sessionId();
    assertThat(mem.silence(id)).isTrue();
    try (AutoCloseable stalled = mem.stall()) { // the heal is still on its way when the next cut comes
      mem.heal(id);
      assertThat(mem.silence(id)).as("the session is held and cut off again").isTrue();
    }
    await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> !term.isValid());
    long invalidAt = System.nanoTime();
    Leadership next = lw.waiter().awaitLeadership(WAIT);
    assertThat(next.startedNanos()).as("successor starts after the cut-off leader's term ended")
        .isGreaterThan(invalidAt);
    mem.heal(id);
  }

  /** On two clients with 1.5 s sessions: "a" leads {@code election}, "b" waits behind it. */
  private LeaderAndWaiter leaderAndWaiter(String election) throws InterruptedException {
    ElectionClient quiet = client(Duration.ofMillis(1500));
    ElectionClient other = client(Duration.ofMillis(1500));
    Leadership term = quiet.election(election).join("a").awaitLeadership(WAIT);
    Candidate b = other.election(election).join("b");
    await().atMost(WAIT).until(() -> b.state() == CandidateState.WAITING);
    return new LeaderAndWaiter(quiet, term, b);
  }

  private record LeaderAndWaiter(ElectionClient leaderClient, Leadership term, Candidate waiter) {}

  @Test
  void silencedLeaderStepsDownOnItsOwnDeadlineBeforeTheSuccessorIsElected() throws Exception {
    LeaderAndWaiter lw = leaderAndWaiter("silence");
    Leadership term = lw.term();
    Candidate b = lw.waiter();
    long cut = System.nanoTime();
    MemCluster.named(cluster).silence(lw.leaderClient().sessionId());
    assertThat(term.isValid()).as("the deadline has not passed yet").isTrue();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> !term.isValid());
    long invalidAt = System.nanoTime();
    Leadership next = b.awaitLeadership(WAIT);
    assertThat(next.startedNanos()).as("successor starts after the old term ended").isGreaterThan(invalidAt);
    assertThat(next.token()).isGreaterThan(term.token());
    assertThat(TimeUnit.NANOSECONDS.toMillis(invalidAt - cut)).isLessThan(1500);
    assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.DEADLINE_PASSED);
  }

  @Test
  void tokensStrictlyIncreaseAcrossHandoffsExpiriesAndRejoins() throws Exception {
    ElectionClient c1 = client();
    ElectionClient c2 = client();
    Recorder r1 = new Recorder();
    Recorder r2 = new Recorder();
    Candidate a = c1.election("tokens").candidate("a").listener(app, r1).join();
    Candidate b = c2.election("tokens").candidate("b").listener(app, r2).join();
    List<Long> tokens = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Candidate leader = await().atMost(WAIT).until(
          () -> a.isLeader() ? a : b.isLeader() ? b : null, java.util.Objects::nonNull);
      tokens.add(leader.leadership().orElseThrow().token());
      if (i % 2 == 0) {
        leader.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } else {
        ElectionClient owner = leader == a ? c1 : c2;
        MemCluster.named(cluster).expire(owner.sessionId());
      }
      await().atMost(WAIT).until(() -> !leader.isLeader());
    }
    assertThat(tokens).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void callbacksAlternateAndRunOnTheApplicationsExecutor() throws Exception {
    Recorder rec = new Recorder();
    Election e = client().election("callbacks");
    Candidate a = e.candidate("a").listener(app, rec).join();
    Candidate b = e.join("b");
    for (int i = 0; i < 3; i++) {
      a.awaitLeadership(WAIT);
      a.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
      b.awaitLeadership(WAIT);
      b.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    a.close();
    await().atMost(WAIT).until(() -> rec.events.size() >= 6 && rec.events.size() % 2 == 0);
    for (int i = 0; i < rec.events.size(); i++) {
      assertThat(rec.events.get(i)).startsWith(i % 2 == 0 ? "elected" : "revoked");
    }
    assertThat(rec.threads).allMatch(t -> t.equals("app-executor"));
    assertThat(rec.tokens).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void listenerAddedDuringATermHearsElectedFirst() throws Exception {
    Candidate a = client().election("late").join("a");
    a.awaitLeadership(WAIT);
    Recorder rec = new Recorder();
    a.addListener(app, rec);
    await().atMost(WAIT).until(() -> rec.events.size() == 1);
    a.close();
    await().atMost(WAIT).until(() -> rec.events.size() == 2);
    assertThat(rec.events).containsExactly("elected", "revoked:CLOSED");
  }

  @Test
  void observerSeesTheCurrentLeaderEveryChangeAndNoLeader() throws Exception {
    ElectionClient client = client();
    Election e = client.election("observe");
    List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
    var sub = e.observe(app, seen::add);
    await().atMost(WAIT).until(() -> seen.size() == 1);
    assertThat(seen.get(0)).isEmpty();
    Candidate a = e.candidate("a").data("http://a").join();
    Candidate b = e.join("b");
    a.awaitLeadership(WAIT);
    a.close();
    b.awaitLeadership(WAIT);
    b.close();
    await().atMost(WAIT).until(() -> seen.size() == 4);
    assertThat(seen.get(1).orElseThrow().candidateId()).isEqualTo("a");
    assertThat(seen.get(1).orElseThrow().dataAsString()).isEqualTo("http://a");
    assertThat(seen.get(2).orElseThrow().candidateId()).isEqualTo("b");
    assertThat(seen.get(3)).isEmpty();
    assertThat(seen.get(2).orElseThrow().token()).isGreaterThan(seen.get(1).orElseThrow().token());
    sub.cancel();
    Candidate c = e.join("c");
    c.awaitLeadership(WAIT);
    // A later observer sees c, so the change happened; the cancelled one must not have.
    List<Optional<Participant>> later = new CopyOnWriteArrayList<>();
    e.observe(app, later::add);
    await().atMost(WAIT).until(() -> later.size() == 1);
    assertThat(later.get(0).orElseThrow().candidateId()).isEqualTo("c");
    assertThat(seen).hasSize(4);
  }

  @Test
  void expiredSessionRejoinsAtTheBackOnANewSession() throws Exception {
    ElectionClient c1 = client();
    ElectionClient c2 = client();
    List<SessionState> states = new CopyOnWriteArrayList<>();
    c1.addSessionListener(app, (s, id) -> states.add(s));
    Candidate a = c1.election("expire").join("a");
    Leadership term = a.awaitLeadership(WAIT);
    Candidate b = c2.election("expire").join("b");
    await().atMost(WAIT).until(() -> b.state() == CandidateState.WAITING);
    long before = c1.sessionId();
    MemCluster.named(cluster).expire(before);
    assertThat(term.isValid()).isFalse();
    b.awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> a.state() == CandidateState.WAITING);
    assertThat(c1.sessionId()).isNotEqualTo(before);
    assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.SESSION_EXPIRED);
    await().atMost(WAIT).untilAsserted(() -> assertThat(states)
        .containsSubsequence(SessionState.CONNECTED, SessionState.EXPIRED, SessionState.CONNECTED));
  }

  @Test
  void externallyDeletedTicketEndsTheTermAndRejoins() throws Exception {
    Election e = client().election("deleted");
    Candidate a = e.join("a");
    Leadership term = a.awaitLeadership(WAIT);
    assertThat(MemCluster.named(cluster).deleteTickets("deleted", "a")).isEqualTo(1);
    assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.TICKET_LOST);
    Leadership again = a.awaitLeadership(WAIT);
    assertThat(again.token()).isGreaterThan(term.token());
  }

  /**
   * A ticket lost, then the session suspended while the rejoin's backoff runs, then recovered (same session): the
   * candidate rejoins. Guards against a backoff timer that finds the client suspended and does nothing while
   * RECOVERED restarts only SUSPENDED and JOINING candidates: the candidate would stay REJOINING for good. The backoff is random (up to 50 ms the
   * first time): the partition lands inside it in most of the 20 rounds.
   */
  @Test
  void aCandidateWhoseTicketWasLostRejoinsAfterASuspensionDuringItsBackoff() throws Exception {
    ElectionClient c = client();
    Election e = c.election("lost-then-suspended");
    Candidate a = e.join("a");
    MemCluster mem = MemCluster.named(cluster);
    long session = c.sessionId();
    for (int round = 0; round < 20; round++) {
      Leadership term = a.awaitLeadership(WAIT);
      assertThat(mem.deleteTickets("lost-then-suspended", "a")).isEqualTo(1);
      term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS); // the loss is in: the backoff runs from here
      assertThat(mem.partition(session)).isTrue();
      await().atMost(WAIT).until(() -> c.sessionState() == SessionState.SUSPENDED);
      mem.heal(session);
      Leadership again = a.awaitLeadership(WAIT);
      assertThat(again.token()).as("round %d", round).isGreaterThan(term.token());
    }
    assertThat(c.sessionId()).as("the same session throughout").isEqualTo(session);
  }

  @Test
  void closeIsIdempotentRemovesTheTicketAndUseAfterCloseFails() throws Exception {
    ElectionClient client = client();
    Election e = client.election("close");
    Candidate a = e.join("a");
    Leadership term = a.awaitLeadership(WAIT);
    a.close();
    a.close();
    assertThat(term.isValid()).isFalse();
    assertThat(term.ended().toCompletableFuture().getNow(null)).isEqualTo(EndReason.CLOSED);
    assertThat(e.participants().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEmpty();
    assertThatThrownBy(() -> a.elected().toCompletableFuture().join()).hasCauseInstanceOf(ClosedException.class);
    assertThatThrownBy(() -> a.resign().toCompletableFuture().join()).hasCauseInstanceOf(ClosedException.class)
        .hasMessageContaining("'a'");
    client.close();
    client.close();
    assertThatThrownBy(() -> client.election("x")).isInstanceOf(ClosedException.class).hasMessageContaining("closed");
    assertThat(MemCluster.named(cluster).tickets()).isZero();
  }

  @Test
  void closingTheClientClosesItsCandidates() throws Exception {
    ElectionClient client = client();
    Candidate a = client.election("client-close").join("a");
    Leadership term = a.awaitLeadership(WAIT);
    client.close();
    assertThat(term.isValid()).isFalse();
    assertThat(a.state()).isEqualTo(CandidateState.CLOSED);
    assertThat(MemCluster.named(cluster).tickets()).isZero();
    assertThat(MemCluster.named(cluster).sessions()).doesNotContain(client.sessionId());
  }

  @Test
  void awaitLeadershipTimesOutWithTheTimeout() {
    Election e = client().election("timeout");
    e.join("a");
    Candidate b = e.join("b");
    assertThatThrownBy(() -> b.awaitLeadership(Duration.ofMillis(200)))
        .isInstanceOf(ElectorTimeoutException.class).hasMessageContaining("PT0.2S");
  }

  @Test
  void dataUpdatesAreVisibleToParticipantsAndObservers() throws Exception {
    Election e = client().election("data");
    Candidate a = e.candidate("a").data("v1").join();
    a.awaitLeadership(WAIT);
    List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
    e.observe(app, seen::add);
    a.updateData("v2".getBytes()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(e.leader().toCompletableFuture().get().orElseThrow().dataAsString()).isEqualTo("v2");
    await().atMost(WAIT).until(() -> seen.stream().anyMatch(p -> p.map(Participant::dataAsString)
        .orElse("").equals("v2")));
  }

  @Test
  void aHundredCandidatesJoinAndLeaveAtOnce() {
    ElectionClient c1 = client();
    ElectionClient c2 = client();
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      cs.add((i % 2 == 0 ? c1 : c2).election("burst").join("c" + i));
    }
    await().atMost(WAIT).until(() -> leaders(cs).size() == 1);
    cs.parallelStream().forEach(Candidate::close);
    assertThat(leaders(cs)).isEmpty();
    assertThat(MemCluster.named(cluster).tickets()).isZero();
  }

  @Test
  void oneHandoffWakesOnlyTheNextInLine() throws Exception {
    Election e = client().election("herd");
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      cs.add(e.join("c" + i));
    }
    cs.get(0).awaitLeadership(WAIT);
    await().atMost(WAIT).until(() -> cs.stream().filter(c -> c.state() == CandidateState.WAITING).count() == 49);
    long before = MemCluster.named(cluster).wakeups();
    cs.get(0).close();
    cs.get(1).awaitLeadership(WAIT);
    assertThat(MemCluster.named(cluster).wakeups() - before).isEqualTo(1);
  }

  @Test
  void aTermThatLapsedStaysEndedEvenIfARenewalArrivesLate() throws Exception {
    ElectionClient client = client(Duration.ofMillis(500));
    Candidate a = client.election("lapse").join("a");
    for (int round = 0; round < 10; round++) {
      Leadership term = a.awaitLeadership(WAIT);
      long id = client.sessionId();
      MemCluster.named(cluster).silence(id);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> !term.isValid());
      MemCluster.named(cluster).heal(id); // renewals flow again at once
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      while (System.nanoTime() - until < 0) {
        assertThat(term.isValid()).as("round %d: a lapsed term came back", round).isFalse();
      }
      assertThat(term.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.DEADLINE_PASSED);
    }
  }

  @Test
  void healAfterTheServerExpiredTheSessionReconnectsWithANewOne() throws Exception {
    ElectionClient client = client(Duration.ofMillis(500));
    Candidate a = client.election("heal-expired").join("a");
    Leadership term = a.awaitLeadership(WAIT);
    long id = client.sessionId();
    MemCluster.named(cluster).partition(id);
    await().atMost(WAIT).until(() -> !MemCluster.named(cluster).sessions().contains(id));
    MemCluster.named(cluster).heal(id);
    await().atMost(WAIT).until(() -> client.sessionState() == SessionState.CONNECTED && client.sessionId() != id);
    assertThat(a.awaitLeadership(WAIT).token()).isGreaterThan(term.token());
  }
}
