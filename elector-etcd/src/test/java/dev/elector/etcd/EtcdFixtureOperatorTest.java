package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The TCK fixture's operator hooks ({@link Capability#OPERATOR}) do what they say, on one real etcd member. */
class EtcdFixtureOperatorTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  static EtcdFixture fixture;

  @BeforeAll
  static void start() {
    fixture = new EtcdFixture(1);
    fixture.start();
  }

  @AfterAll
  static void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static List<String> ids(ElectionClient c, String election) throws Exception {
    return c.election(election).participants().toCompletableFuture().get(5, TimeUnit.SECONDS).stream()
        .map(Participant::candidateId).toList();
  }

  @Test
  void deleteTicketPutForeignEntryAndDeleteElectionActOnTheService() throws Exception {
    assertThat(fixture.capabilities()).contains(Capability.OPERATOR);
    try (ElectionClient c = Elections.connect(fixture.config(fixture.endpoints()))) {
      fixture.putForeignEntry("e", "notes", "hello".getBytes(UTF_8));
      Candidate a = c.election("e").join("a");
      Leadership term = a.awaitLeadership(WAIT);
      Candidate b = c.election("e").join("b");
      await().atMost(WAIT).until(() -> ids(c, "e").equals(List.of("a", "b")));

      fixture.deleteTicket("e", "a");
      await().atMost(WAIT).until(() -> !term.isValid());
      b.awaitLeadership(WAIT);
      // a rejoins at the back.
      await().atMost(WAIT).until(() -> ids(c, "e").equals(List.of("b", "a")));

      fixture.deleteElection("e");
      await().atMost(WAIT).until(() -> ids(c, "e").size() == 2 && a.leadership().isPresent() != b.leadership()
          .isPresent());
      assertThatThrownBy(() -> fixture.putForeignEntry("e", TicketNames.create(1), new byte[0]))
          .isInstanceOf(IllegalArgumentException.class);
      a.close();
      b.close();
    }
  }
}
