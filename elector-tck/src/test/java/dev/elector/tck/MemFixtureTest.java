package dev.elector.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.mem.MemCluster;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The in-memory fixture's faults cut off what the kit asks them to, even right after the previous fault. */
class MemFixtureTest {

  /**
   * The kit's expiry helper heals a client right after expiring its session and may partition it again at once (a
   * randomized run did, and then waited for a step-down that never came). The client still reports the expired
   * session until it has opened a new one; the partition must cut off the new one.
   */
  @Test
  void partitionRightAfterHealingAnExpiredSessionCutsOffTheNewSession() throws Exception {
    MemFixture fixture = new MemFixture();
    fixture.start();
    MemCluster mem = MemCluster.named(fixture.endpoints().get(0));
    try (ElectionClient client = Elections.connect(fixture.config(fixture.endpoints()))) {
      long first = client.sessionId();
      fixture.partition(client);
      fixture.expireSession(client);
      assertThat(mem.sessions()).as("sessions after expiring %s", Long.toHexString(first)).doesNotContain(first);

      // The client learns of the expiry, and opens a new session, only once the network delivers the heal.
      CompletableFuture<Void> cut;
      try (AutoCloseable stalled = mem.stall()) {
        fixture.heal(client);
        cut = CompletableFuture.runAsync(() -> {
          try {
            fixture.partition(client);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        // Let the partition act while the client still reports the expired session: a fixture that cuts that one
        // off finishes here; one that waits for the new session cannot finish until the network is released.
        try {
          cut.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException waitingForTheNewSession) {
          // as it should while nothing is delivered
        }
      }
      cut.get(10, TimeUnit.SECONDS);

      long second = client.sessionId();
      assertThat(second).as("the session cut off after the heal").isNotEqualTo(first);
      // Silenced, the new session is expired by the server after its timeout; one not cut off would live on.
      long deadline = System.nanoTime() + MemFixture.SESSION_TIMEOUT.multipliedBy(4).toNanos();
      while (mem.sessions().contains(second) && System.nanoTime() - deadline < 0) {
        Thread.sleep(10);
      }
      assertThat(mem.sessions()).as("sessions %s after the new session was cut off for 4 timeouts",
          Long.toHexString(second)).doesNotContain(second);
      fixture.heal(client);
    }
  }

  /**
   * The server expires a silenced session on its own timer; the kit may ask to expire it at the same moment (the
   * fixture's check that the server still holds the session passed just before the timer fired). Expiring a session
   * the server has already expired must then succeed as a no-op, not fail the test on a correct backend: the state
   * that interleaving leaves is forced here by letting the timer fire first.
   */
  @Test
  void expiringASessionTheServerAlreadyExpiredOnItsOwnTimerIsANoOp() throws Exception {
    MemFixture fixture = new MemFixture();
    fixture.start();
    MemCluster mem = MemCluster.named(fixture.endpoints().get(0));
    try (ElectionClient client = Elections.connect(fixture.config(fixture.endpoints()))) {
      long id = client.sessionId();
      fixture.partition(client);
      long deadline = System.nanoTime() + MemFixture.SESSION_TIMEOUT.multipliedBy(4).toNanos();
      while (mem.sessions().contains(id) && System.nanoTime() - deadline < 0) {
        Thread.sleep(10);
      }
      assertThat(mem.sessions()).as("sessions after the silenced session's timeout").doesNotContain(id);
      mem.expire(id); // what the fixture does once its check has passed
      fixture.expireSession(client);
      fixture.heal(client);
    }
  }

  /**
   * The OPERATOR hooks act on the server: a foreign entry is held but never listed (rule 4.8) and a name of the
   * backend's ticket form is refused; deleting the election removes every ticket and foreign entry, its candidates
   * rejoin by themselves, and the next leader's token is larger (rule 1.2 across the deletion).
   */
  @Test
  void operatorHooksActOnTheServer() throws Exception {
    MemFixture fixture = new MemFixture();
    fixture.start();
    MemCluster mem = MemCluster.named(fixture.endpoints().get(0));
    String path = MemFixture.ROOT + "/ops";
    try (ElectionClient client = Elections.connect(fixture.config(fixture.endpoints()))) {
      fixture.putForeignEntry("ops", "operator-note", new byte[] {1});
      assertThatThrownBy(() -> fixture.putForeignEntry("ops", "1a2b-7", new byte[0]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ticket name");
      assertThat(mem.foreignEntries(path)).isEqualTo(1);
      Candidate a = client.election("ops").join("a");
      Leadership first = a.awaitLeadership(Duration.ofSeconds(5));
      assertThat(client.election("ops").participants().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .extracting(Participant::candidateId).containsExactly("a");

      fixture.deleteElection("ops");
      assertThat(mem.foreignEntries(path)).isZero();
      assertThat(first.ended().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(EndReason.TICKET_LOST);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      Leadership next = a.awaitLeadership(Duration.ofSeconds(5));
      while (next.token() == first.token() && System.nanoTime() - deadline < 0) {
        Thread.sleep(10);
        next = a.awaitLeadership(Duration.ofSeconds(5));
      }
      assertThat(next.token()).as("the token after the election was deleted").isGreaterThan(first.token());
      a.close();
    }
  }
}
