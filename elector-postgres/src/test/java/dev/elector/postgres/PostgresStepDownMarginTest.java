package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.testservers.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures, on a real PostgreSQL, the margin between a cut-off leader's step-down (the last instant its
 * {@code isValid()} was seen true) and its successor's election, and the crash failover time. Prints the figures;
 * asserts only the safety rule (a positive margin), never a timing. Run it with
 * {@code ./mvnw -pl elector-postgres -am test -Dtest=PostgresStepDownMarginTest -Delector.test.excludedGroups=
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("measurement")
class PostgresStepDownMarginTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final int ROUNDS = 5;

  @Test
  void marginBetweenStepDownAndSuccessor() throws Exception {
    List<Long> margins = new ArrayList<>();
    List<Long> failovers = new ArrayList<>();
    try (PostgresServer server = PostgresServer.start(false)) {
      for (int i = 0; i < ROUNDS; i++) {
        try (FaultProxy proxy = FaultProxy.start(server.endpoint());
            ElectionClient oldClient = Elections.connect(config(proxy.endpoint()));
            ElectionClient newClient = Elections.connect(config(server.endpoint()));
            Candidate old = oldClient.election("margin" + i).join("old")) {
          Leadership first = old.awaitLeadership(Duration.ofSeconds(10));
          try (Candidate next = newClient.election("margin" + i).join("next")) {
            next.joined().toCompletableFuture().get();
            CompletableFuture<Leadership> elected = next.elected().toCompletableFuture();
            long cut = System.nanoTime();
            proxy.partition();
            long lastValid = cut;
            long bound = cut + TIMEOUT.multipliedBy(4).toNanos();
            while (!elected.isDone() && System.nanoTime() - bound < 0) {
              long now = System.nanoTime();
              if (first.isValid()) {
                lastValid = now;
              }
              Thread.onSpinWait();
            }
            Leadership second = elected.get();
            assertThat(first.isValid()).isFalse();
            margins.add((second.startedNanos() - lastValid) / 1_000_000);
            failovers.add((second.startedNanos() - cut) / 1_000_000);
          }
        }
      }
    }
    Collections.sort(margins);
    Collections.sort(failovers);
    System.out.println("PostgreSQL, session timeout " + TIMEOUT.toMillis() + " ms, " + ROUNDS + " rounds: "
        + "step-down to successor margin ms " + margins + "; cut-off to successor elected ms " + failovers);
    assertThat(margins.get(0)).as("rule 1.3: the successor was elected before the old leader stepped down")
        .isPositive();
  }

  private static ClientConfig config(String endpoint) {
    return ClientConfig.builder("postgresql").endpoints(endpoint).root("/postgres/margin")
        .sessionTimeout(TIMEOUT).option(PostgresElectionProvider.USER, PostgresServer.USER).build();
  }
}
