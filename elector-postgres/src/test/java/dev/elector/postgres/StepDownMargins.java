package dev.elector.postgres;

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

/**
 * Rounds of a cut-off leader and its successor on a real PostgreSQL: the leader's client is partitioned behind a
 * proxy, the successor's is not. For each round, the margin between the leader's step-down (the last instant its
 * {@code isValid()} was seen true, polled without pause) and its successor's election, and the failover time from
 * the cut. A margin that is not positive breaks rule 1.1.
 */
final class StepDownMargins {
  /** The session timeout of both clients. */
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** Sorted margins and failover times of the rounds, in ms. */
  record Result(List<Long> margins, List<Long> failovers) {
    long smallest() {
      return margins.get(0);
    }

    @Override
    public String toString() {
      return "step-down to successor margin ms " + margins + "; cut-off to successor elected ms " + failovers;
    }
  }

  private StepDownMargins() {}

  /**
   * Runs the rounds with {@code bystanders} more sessions open meanwhile. A session row's expiry is acted on when
   * another session's renewal reaps it, every third of a timeout per session: bystanders, each renewing at its own
   * phase, make that prompt, so the successor is elected soon after the database expires the leader's row.
   */
  static Result measure(PostgresServer server, String election, int rounds, int bystanders) throws Exception {
    List<ElectionClient> others = new ArrayList<>();
    try {
      for (int i = 0; i < bystanders; i++) {
        others.add(Elections.connect(config(server.endpoint())));
        Thread.sleep(TIMEOUT.toMillis() / 3 / bystanders); // spread their renewals over a renewal period
      }
      return measure(server, election, rounds);
    } finally {
      for (ElectionClient c : others) {
        c.close();
      }
    }
  }

  private static Result measure(PostgresServer server, String election, int rounds) throws Exception {
    List<Long> margins = new ArrayList<>();
    List<Long> failovers = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      try (FaultProxy proxy = FaultProxy.start(server.endpoint());
          ElectionClient oldClient = Elections.connect(config(proxy.endpoint()));
          ElectionClient newClient = Elections.connect(config(server.endpoint()));
          Candidate old = oldClient.election(election + i).join("old")) {
        Leadership first = old.awaitLeadership(Duration.ofSeconds(10));
        try (Candidate next = newClient.election(election + i).join("next")) {
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
          if (!elected.isDone()) {
            throw new AssertionError("rule 2.3: the successor was not elected within " + TIMEOUT.multipliedBy(4)
                + " of its leader's cut");
          }
          Leadership second = elected.get();
          if (first.isValid()) {
            throw new AssertionError("rule 1.1: the cut-off leader is still valid after its successor was elected");
          }
          margins.add((second.startedNanos() - lastValid) / 1_000_000);
          failovers.add((second.startedNanos() - cut) / 1_000_000);
          // Healed, the old client closes at once instead of waiting its operation timeout for an answer.
          proxy.heal();
        }
      }
    }
    Collections.sort(margins);
    Collections.sort(failovers);
    return new Result(margins, failovers);
  }

  private static ClientConfig config(String endpoint) {
    return ClientConfig.builder("postgresql").endpoints(endpoint).root("/postgres/margin")
        .sessionTimeout(TIMEOUT).option(PostgresElectionProvider.USER, PostgresServer.USER).build();
  }
}
