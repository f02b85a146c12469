package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Participant;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Candidate#joined()}: completes when the ticket is in line, so nobody needs to poll participants(). */
class JoinedStageTest {
  private static final long WAIT_SECONDS = 10;
  private String cluster;
  private ElectionClient client;

  @BeforeEach
  void setUp() {
    cluster = "joined-" + UUID.randomUUID();
    client = Elections.connect(ClientConfig.builder("mem").endpoints(cluster).root("/test")
        .sessionTimeout(Duration.ofSeconds(2)).operationTimeout(Duration.ofSeconds(2)).build());
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private List<String> line(Election e) throws Exception {
    return get(e.participants()).stream().map(Participant::candidateId).toList();
  }

  @Test
  void completesOnlyOnceTheTicketIsInLineAndParticipantsThenListsIt() throws Exception {
    Election e = client.election("jobs");
    CompletableFuture<Void> joinedA;
    Candidate a;
    try (AutoCloseable stall = MemCluster.named(cluster).stall()) {
      a = e.join("a");
      joinedA = a.joined().toCompletableFuture();
      // The enqueue's answer cannot reach the client while the network is stalled.
      assertThat(joinedA).isNotDone();
      assertThat(a.state()).isEqualTo(CandidateState.JOINING);
    }
    get(joinedA);
    assertThat(line(e)).containsExactly("a");
    // Joining one after the other by the stage gives a known line order, without polling.
    Candidate b = e.join("b");
    get(b.joined());
    Candidate c = e.join("c");
    get(c.joined());
    assertThat(line(e)).containsExactly("a", "b", "c");
    // In line now: a second call completes at once (on the callback pool).
    get(b.joined());
  }

  @Test
  void afterAResignCompletesForTheNewTicketAtTheBack() throws Exception {
    Election e = client.election("jobs");
    Candidate a = e.join("a");
    get(a.elected());
    Candidate b = e.join("b");
    get(b.joined());
    get(a.resign());
    get(a.joined());
    assertThat(line(e)).containsExactly("b", "a");
  }

  @Test
  void failsWithClosedExceptionWhenTheCandidateClosesFirstOrIsClosed() throws Exception {
    Election e = client.election("jobs");
    Candidate a;
    CompletableFuture<Void> pending;
    try (AutoCloseable stall = MemCluster.named(cluster).stall()) {
      a = e.join("a");
      pending = a.joined().toCompletableFuture();
      a.closeAsync();
      assertThatThrownBy(() -> pending.get(WAIT_SECONDS, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ClosedException.class);
    }
    assertThatThrownBy(() -> get(a.joined()))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ClosedException.class)
        .hasMessageContaining("'a'");
  }
}
