package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Rounds of a cut-off leader and its successor on a real service: the leader's client reaches the service through a
 * {@link FaultProxy} that partitions it, the successor's does not. For each round it records the margin between the
 * leader's step-down (the last instant its {@code isValid()} was seen true, polled without pause) and its successor's
 * election, and the failover time from the cut. A margin that is not positive breaks rule 1.1 (rule 1.3's promise).
 * Backends run it to measure the margin, and under faults the kit cannot inject through a fixture, such as a server
 * whose clock runs fast ({@code dev.elector.testservers.FakeClock}):
 *
 * <pre>{@code
 * StepDownMargins.Result r = StepDownMargins.measure(server.endpoint(), ep -> myConfig(ep), "margin", 3, 0);
 * assertThat(r.smallest()).isPositive();
 * }</pre>
 */
public final class StepDownMargins {
  /** Sorted margins and failover times of the rounds, in ms. */
  public record Result(List<Long> margins, List<Long> failovers) {
    /** The smallest margin, in ms. */
    public long smallest() {
      return margins.get(0);
    }

    @Override
    public String toString() {
      return "step-down to successor margin ms " + margins + "; cut-off to successor elected ms " + failovers;
    }
  }

  private StepDownMargins() {}

  /**
   * Runs the rounds, each in its own election and on new clients, with {@code bystanders} more sessions open
   * throughout, each opened a renewal period's share after the last. Where another session's renewal is what acts on
   * an expiry (PostgreSQL reaps a dead row then), bystanders renewing at their own phases make the successor follow
   * the service's expiry closely.
   *
   * @param endpoint the service's endpoint as {@code host:port}
   * @param config the client configuration for an endpoint; the leader's is the proxy's
   * @param election the elections' name prefix
   * @param rounds how many cut-off leaders
   * @param bystanders how many more sessions
   * @return the margins and failover times
   * @throws AssertionError with {@code rule 1.1:} if the leader is still valid once its successor is elected, or
   *     {@code rule 2.3:} if no successor is elected within four session timeouts of the cut
   */
  public static Result measure(String endpoint, Function<String, ClientConfig> config, String election, int rounds,
      int bystanders) throws Exception {
    List<ElectionClient> others = new ArrayList<>();
    try {
      Duration timeout = config.apply(endpoint).sessionTimeout();
      for (int i = 0; i < bystanders; i++) {
        others.add(Elections.connect(config.apply(endpoint)));
        Thread.sleep(timeout.toMillis() / 3 / bystanders);
      }
      return rounds(endpoint, config, timeout, election, rounds);
    } finally {
      for (ElectionClient c : others) {
        c.close();
      }
    }
  }

  private static Result rounds(String endpoint, Function<String, ClientConfig> config, Duration timeout,
      String election, int rounds) throws Exception {
    List<Long> margins = new ArrayList<>();
    List<Long> failovers = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      try (FaultProxy proxy = FaultProxy.start(endpoint);
          ElectionClient oldClient = Elections.connect(config.apply(proxy.endpoint()));
          ElectionClient newClient = Elections.connect(config.apply(endpoint));
          Candidate old = oldClient.election(election + i).join("old")) {
        Leadership first = old.awaitLeadership(Duration.ofSeconds(10));
        try (Candidate next = newClient.election(election + i).join("next")) {
          next.joined().toCompletableFuture().get();
          CompletableFuture<Leadership> elected = next.elected().toCompletableFuture();
          long cut = System.nanoTime();
          proxy.partition();
          long lastValid = cut;
          long bound = cut + timeout.multipliedBy(4).toNanos();
          while (!elected.isDone() && System.nanoTime() - bound < 0) {
            long now = System.nanoTime();
            if (first.isValid()) {
              lastValid = now;
            }
            Thread.onSpinWait();
          }
          if (!elected.isDone()) {
            throw new AssertionError("rule 2.3: the successor was not elected within " + timeout.multipliedBy(4)
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
}
