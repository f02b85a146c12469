package dev.elector.spring;

import dev.elector.ElectionClient;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.SessionState;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the client's session; leadership only in the details, since a follower is as healthy as the leader.
 *
 * <table>
 * <caption>Status per session state</caption>
 * <tr><th>session</th><th>status</th><th>why</th></tr>
 * <tr><td>CONNECTED</td><td>UP</td><td>the session is renewed</td></tr>
 * <tr><td>SUSPENDED</td><td>UNKNOWN</td><td>contact lost, may come back with the same session; terms have ended
 * (SPEC rule 1.4). UNKNOWN, not OUT_OF_SERVICE: a blip of the coordination service suspends every instance at once,
 * and taking them all out of service would turn the blip into an outage.</td></tr>
 * <tr><td>EXPIRED</td><td>DOWN</td><td>the session is gone; the client is opening a new one</td></tr>
 * <tr><td>CLOSED</td><td>DOWN</td><td>the client was closed</td></tr>
 * </table>
 *
 * <p>Details: {@code session}, {@code sessionId}, and with a candidate {@code election}, {@code candidateId},
 * {@code leader} (holds a valid term now), {@code token} (while leader), {@code currentLeader} (as the backend says,
 * asked with a short timeout; absent if it does not answer in time).
 */
public class ElectorHealthIndicator extends AbstractHealthIndicator {
  private static final long LEADER_QUERY_MILLIS = 1000;

  private final ElectionClient client;
  private final Optional<ElectorCandidate> candidate;

  public ElectorHealthIndicator(ElectionClient client, Optional<ElectorCandidate> candidate) {
    super("Elector health check failed");
    this.client = client;
    this.candidate = candidate;
  }

  /** The status for a session state; see the class comment. */
  public static Status status(SessionState state) {
    return switch (state) {
      case CONNECTED -> Status.UP;
      case SUSPENDED -> Status.UNKNOWN;
      case EXPIRED, CLOSED -> Status.DOWN;
    };
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    SessionState state = client.sessionState();
    builder.status(status(state))
        .withDetail("session", state.name())
        .withDetail("sessionId", "0x" + Long.toHexString(client.sessionId()));
    candidate.ifPresent(c -> {
      builder.withDetail("election", c.election()).withDetail("candidateId", c.candidateId());
      Optional<Leadership> term = c.validTerm();
      builder.withDetail("leader", term.isPresent());
      term.ifPresent(t -> builder.withDetail("token", t.token()));
      if (state == SessionState.CONNECTED) {
        currentLeader(c.election()).ifPresent(p -> builder.withDetail("currentLeader", p.candidateId()));
      }
    });
  }

  private Optional<Participant> currentLeader(String election) {
    try {
      return client.election(election).leader().toCompletableFuture().get(LEADER_QUERY_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
