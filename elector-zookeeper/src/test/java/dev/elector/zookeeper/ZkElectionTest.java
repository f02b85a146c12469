package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.BackendUnavailableException;
import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.InvalidInputException;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.SessionState;
import dev.elector.Subscription;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Candidates through the public API ({@link Elections#connect}) on the ZooKeeper backend. */
class ZkElectionTest {
  @RegisterExtension static final SingleZk zk = new SingleZk();
  private static final AtomicInteger ROOTS = new AtomicInteger();
  private final List<AutoCloseable> open = new ArrayList<>();
  private String uri;

  @BeforeEach
  void setUp() {
    // 6 s: long enough that a loaded machine does not suspend sessions in the middle of an assertion.
    uri = "zookeeper://" + zk.server().endpoint() + "/api-test-" + ROOTS.incrementAndGet() + "?sessionTimeout=6s";
  }

  @AfterEach
  void tearDown() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // the server goes away after the class
      }
    }
  }

  private ElectionClient client() {
    ElectionClient c = Elections.connect(uri);
    open.add(c);
    return c;
  }

  private static Leadership lead(Candidate c) throws Exception {
    return c.elected().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void tenCandidatesOnThreeClientsHaveOneLeaderAndHandOffInLineOrder() throws Exception {
    List<ElectionClient> clients = List.of(client(), client(), client());
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Election e = clients.get(i % 3).election("jobs");
      candidates.add(e.candidate("c" + i).data("host-" + i).join());
      // Join one at a time so that the line order is the join order.
      candidates.get(i).joined().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    Leadership first = lead(candidates.get(0));
    List<Participant> line = clients.get(1).election("jobs").participants().toCompletableFuture().get(10,
        TimeUnit.SECONDS);
    assertThat(line).extracting(Participant::candidateId).containsExactly("c0", "c1", "c2", "c3", "c4", "c5", "c6",
        "c7", "c8", "c9");
    assertThat(line.get(0).token()).isEqualTo(first.token());
    assertThat(clients.get(2).election("jobs").leader().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .hasValueSatisfying(p -> assertThat(p.dataAsString()).isEqualTo("host-0"));
    assertThat(candidates.stream().filter(Candidate::isLeader)).hasSize(1);

    // Resign: c0 goes to the back, c1 leads with a larger token.
    candidates.get(0).resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(first.isValid()).isFalse();
    assertThat(first.ended().toCompletableFuture().get(1, TimeUnit.SECONDS)).isEqualTo(EndReason.RESIGNED);
    Leadership second = lead(candidates.get(1));
    assertThat(second.token()).isGreaterThan(first.token());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clients.get(0).election("jobs")
        .participants().toCompletableFuture().get(10, TimeUnit.SECONDS)).extracting(Participant::candidateId)
        .endsWith("c9", "c0"));

    // Close: the next one leads at once.
    candidates.get(1).close();
    assertThat(second.isValid()).isFalse();
    Leadership third = lead(candidates.get(2));
    assertThat(third.token()).isGreaterThan(second.token());
    assertThat(candidates.stream().filter(Candidate::isLeader)).containsExactly(candidates.get(2));
  }

  @Test
  void joinedCompletesWhenTheTicketIsInLineAndAgainAfterAResign() throws Exception {
    ElectionClient c = client();
    Election e = c.election("joined");
    Candidate a = e.join("a");
    assertThat(a.state()).isIn(CandidateState.JOINING, CandidateState.WAITING, CandidateState.LEADING);
    a.joined().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(a.state()).isIn(CandidateState.WAITING, CandidateState.LEADING);
    // The same session reads its own writes: no polling once the stage has completed.
    assertThat(e.participants().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .extracting(Participant::candidateId).containsExactly("a");
    Candidate b = e.join("b");
    b.joined().toCompletableFuture().get(10, TimeUnit.SECONDS);
    lead(a);
    a.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
    a.joined().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(e.participants().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .extracting(Participant::candidateId).containsExactly("b", "a");
    a.close();
    assertThatThrownBy(() -> a.joined().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(dev.elector.ClosedException.class);
  }

  @Test
  void observersSeeTheLeaderEveryChangeAndNoLeader() throws Exception {
    ElectionClient a = client();
    ElectionClient watcher = client();
    List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
    Subscription sub = watcher.election("obs").observe(Runnable::run, seen::add);
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
    assertThat(seen.get(0)).isEmpty();
    Candidate x = a.election("obs").candidate("x").data("v1").join();
    Leadership tx = lead(x);
    Candidate y = a.election("obs").join("y");
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
    assertThat(seen.get(1)).hasValueSatisfying(p -> assertThat(p.token()).isEqualTo(tx.token()));
    x.updateData("v2".getBytes(java.nio.charset.StandardCharsets.UTF_8)).toCompletableFuture().get(10,
        TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
    assertThat(seen.get(2)).hasValueSatisfying(p -> assertThat(p.dataAsString()).isEqualTo("v2"));
    x.close();
    Leadership ty = lead(y);
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 4);
    assertThat(seen.get(3)).hasValueSatisfying(p -> assertThat(p.token()).isEqualTo(ty.token()));
    y.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5);
    assertThat(seen.get(4)).isEmpty();
    sub.cancel();
  }

  @Test
  void aCandidateRejoinsByItselfAfterTheServerExpiresItsSession() throws Exception {
    ElectionClient a = client();
    ElectionClient b = client();
    List<SessionState> states = new CopyOnWriteArrayList<>();
    a.addSessionListener(Runnable::run, (state, id) -> states.add(state));
    Candidate ca = a.election("exp").join("a");
    Leadership term = lead(ca);
    Candidate cb = b.election("exp").join("b");
    long old = a.sessionId();
    zk.server().expire(old);
    // A forced expiry takes effect on the server before any client can know; it is complete once the client has
    // heard of it (its connection is closed right after), as a timed-out session is long before the server acts.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> a.sessionState() != SessionState.CONNECTED || a.sessionId() != old);
    Leadership tb = lead(cb);
    assertThat(tb.token()).isGreaterThan(term.token());
    assertThat(term.isValid()).isFalse();
    // The server closes the connection right after expiring the session: the term ends with the suspension.
    assertThat(term.ended().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isIn(EndReason.SESSION_SUSPENDED, EndReason.SESSION_EXPIRED);
    // Rule 2.4: a new session, and the candidate back in line behind b.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(a.sessionId()).isNotIn(0L, old);
      assertThat(ca.state()).isEqualTo(CandidateState.WAITING);
      assertThat(b.election("exp").participants().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .extracting(Participant::candidateId).containsExactly("b", "a");
    });
    assertThat(states).containsSubsequence(SessionState.EXPIRED, SessionState.CONNECTED);
    cb.close();
    assertThat(lead(ca).token()).isGreaterThan(tb.token());
  }

  @Test
  void aLeaderWhoseNodeAnOperatorDeletesStepsDownAndRejoins() throws Exception {
    ElectionClient a = client();
    ElectionClient b = client();
    Candidate x = a.election("ops").join("x");
    Leadership tx = lead(x);
    Candidate y = b.election("ops").join("y");
    await().atMost(Duration.ofSeconds(10)).until(() -> y.state() == CandidateState.WAITING);
    String root = uri.substring(uri.indexOf('/', "zookeeper://".length()), uri.indexOf('?'));
    try (ZkBackends fx = new ZkBackends(zk.server())) {
      org.apache.zookeeper.ZooKeeper op = fx.raw();
      String first = Listing.inLine(op.getChildren(root + "/ops", false)).get(0);
      op.delete(root + "/ops/" + first, -1);
    }
    Leadership ty = lead(y);
    assertThat(ty.token()).isGreaterThan(tx.token());
    assertThat(tx.isValid()).isFalse();
    // The backend cannot tell an operator's delete from the server closing its session without a round trip, so
    // it suspends first: the term ends with the suspension or the lost ticket.
    assertThat(tx.ended().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isIn(EndReason.SESSION_SUSPENDED, EndReason.TICKET_LOST);
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(b.election("ops").participants()
        .toCompletableFuture().get(5, TimeUnit.SECONDS)).extracting(Participant::candidateId)
        .containsExactly("y", "x"));
    assertThat(a.sessionState()).isEqualTo(SessionState.CONNECTED);
  }

  @Test
  void anUnreachableServerFailsWithinTheConnectTimeoutNamingTheEndpoint() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "127.0.0.1:" + port;
    long start = System.nanoTime();
    assertThatThrownBy(() -> Elections.connect("zookeeper://" + endpoint + "/x?connectTimeout=1s"))
        .isInstanceOf(BackendUnavailableException.class).hasMessageContaining(endpoint);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void badConfigurationIsRejectedBeforeAnyIo() {
    assertThatThrownBy(() -> Elections.connect("zookeeper://localhost/x")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'localhost'").hasMessageContaining("host:port");
    assertThatThrownBy(() -> Elections.connect("zookeeper://127.0.0.1:70000/x"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("65535");
    assertThatThrownBy(() -> Elections.connect("zookeeper://127.0.0.1:2181/x?sessionTimeout=200ms"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("sessionTimeout");
    assertThatThrownBy(() -> Elections.connect("zookeeper://127.0.0.1:2181/x?username=app"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("password");
    assertThatThrownBy(() -> Elections.connect("zookeeper://127.0.0.1:2181/x?colour=blue"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("colour");
  }
}
