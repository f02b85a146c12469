package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Leadership;
import dev.elector.Participant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fixture's OPERATOR hooks do what they say on the real ensemble (the kit's tests rely on them). */
class ZkFixtureOperatorTest {
  private static final ZkFixture FIXTURE = new ZkFixture();

  @BeforeAll
  static void start() throws Exception {
    FIXTURE.start();
  }

  @AfterAll
  static void stop() throws Exception {
    FIXTURE.close();
  }

  private static List<String> line(ElectionClient c, String election) throws Exception {
    return c.election(election).participants().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .map(Participant::candidateId).toList();
  }

  @Test
  void operatorHooksDeleteTicketsWriteForeignNodesAndDeleteElections() throws Exception {
    try (ElectionClient client = FIXTURE.connect(FIXTURE.config(FIXTURE.endpoints()))) {
      Candidate a = client.election("op").join("a");
      Candidate b = client.election("op").join("b");
      ZkFollowerIsolationTest.await("a leads", Duration.ofSeconds(10), a::isLeader);
      FIXTURE.putForeignEntry("op", "operator-note", "hello".getBytes(StandardCharsets.UTF_8));
      assertThat(line(client, "op")).containsExactly("a", "b");

      // The waiting candidate's ticket: b rejoins at the back, a keeps leading.
      FIXTURE.deleteTicket("op", "b");
      ZkFollowerIsolationTest.await("b back in line", Duration.ofSeconds(10), () -> {
        try {
          return line(client, "op").equals(List.of("a", "b"));
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(a.isLeader()).isTrue();

      // deleteElection removes every ticket: the old tokens leave the line and a's term ends. That both candidates
      // then come back is the kit's rule 2.4, not the fixture's: this test checks only what the hook does.
      Leadership held = a.leadership().orElseThrow();
      List<Long> before = client.election("op").participants().toCompletableFuture().get(10, TimeUnit.SECONDS)
          .stream().map(Participant::token).toList();
      FIXTURE.deleteElection("op");
      ZkFollowerIsolationTest.await("the old tickets gone and a's term ended", Duration.ofSeconds(15), () -> {
        try {
          return !held.isValid() && client.election("op").participants().toCompletableFuture()
              .get(10, TimeUnit.SECONDS).stream().noneMatch(p -> before.contains(p.token()));
        } catch (Exception e) {
          return false;
        }
      });
      a.close();
      b.close();
    }
    assertThatThrownBy(() -> FIXTURE.putForeignEntry("op", ZkBackendTest.ticketName('a', "0000000001"), new byte[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ticket name");
  }
}
