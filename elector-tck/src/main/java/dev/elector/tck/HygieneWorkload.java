package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The workload of a backend's resource-hygiene test, the same on every backend: {@link #CLIENTS} clients with
 * {@link #PER_CLIENT} candidates each spread over two elections and one observer each, handing leadership round
 * {@link #ROUNDS} times so that watches are set, fired and set again. {@link #close()} then cancels one observer,
 * closes every other candidate on its own and the rest with their clients. The backend's test counts what it can see
 * (threads, connections, watches, sessions or leases) before {@link #start}, after it and after {@link #close()}, and
 * expects the last counts back at the first.
 */
public final class HygieneWorkload implements AutoCloseable {
  /** Clients opened. */
  public static final int CLIENTS = 3;
  /** Candidates per client, alternating between elections {@code e0} and {@code e1}. */
  public static final int PER_CLIENT = 5;
  /** Handoffs: each round every leader resigns. */
  public static final int ROUNDS = 4;
  private static final int ELECTIONS = 2;

  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<Candidate> candidates = new ArrayList<>();
  private final List<Subscription> observers = new ArrayList<>();

  private HygieneWorkload() {}

  /**
   * Opens the clients, candidates and observers, hands over {@link #ROUNDS} times and returns once each election has
   * a leader again; every wait is bounded by {@code wait}.
   */
  public static HygieneWorkload start(ClientConfig config, Duration wait) throws Exception {
    HygieneWorkload w = new HygieneWorkload();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        ElectionClient c = Elections.connect(config);
        w.clients.add(c);
        for (int j = 0; j < PER_CLIENT; j++) {
          w.candidates.add(c.election("e" + (j % ELECTIONS)).join("c" + i + "-" + j));
        }
        w.observers.add(c.election("e0").observe(Runnable::run, leader -> {}));
      }
      for (int round = 0; round < ROUNDS; round++) {
        w.awaitLeaders(wait);
        for (Candidate c : w.candidates) {
          if (c.isLeader()) {
            c.resign().toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
          }
        }
      }
      w.awaitLeaders(wait);
      // A resigned candidate's next ticket is written after its resign completes: wait until every one is in line,
      // so that counts taken now see every candidate's ticket.
      for (Candidate c : w.candidates) {
        c.joined().toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
      }
      return w;
    } catch (Exception | Error e) {
      w.close();
      throw e;
    }
  }

  /** Candidates in all. */
  public int candidates() {
    return candidates.size();
  }

  private void awaitLeaders(Duration wait) throws InterruptedException, TimeoutException {
    long end = System.nanoTime() + wait.toNanos();
    while (candidates.stream().filter(Candidate::isLeader).count() != ELECTIONS) {
      if (System.nanoTime() - end > 0) {
        throw new TimeoutException("hygiene workload: not one leader in each of " + ELECTIONS + " elections within "
            + wait);
      }
      Thread.sleep(10);
    }
  }

  /** Cancels one observer, closes every other candidate on its own, then every client with the rest. */
  @Override
  public void close() {
    if (!observers.isEmpty()) {
      observers.get(0).cancel();
    }
    for (int i = 0; i < candidates.size(); i += 2) {
      candidates.get(i).close();
    }
    clients.forEach(ElectionClient::close);
  }
}
