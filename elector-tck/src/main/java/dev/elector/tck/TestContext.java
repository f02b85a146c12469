package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.Election;
import dev.elector.ElectorTimeoutException;
import dev.elector.Leadership;
import dev.elector.Participant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The context of one test: its fixture, the clients, candidates and observers it creates, the {@link History} of
 * their terms, and the {@link Bounds} every wait derives from the fixture's session timeout; {@link #close()} cleans
 * all of it up. {@link ElectionTck} opens one before each test and hands it to the areas as {@code test()}.
 */
final class TestContext implements AutoCloseable {
  private static final AtomicInteger ELECTIONS = new AtomicInteger();

  final TckFixture fixture;
  final Bounds bounds;
  final History history = new History();
  final String testName;
  private final List<TckClient> clients = new ArrayList<>();
  private final Map<String, Candidate> candidates = new LinkedHashMap<>();
  private final Map<String, TckClient> clientOf = new LinkedHashMap<>();
  private final List<ObserverLog> observers = new ArrayList<>();
  private final AtomicInteger clientCount = new AtomicInteger();

  TestContext(TckFixture fixture, String testName) {
    this.fixture = fixture;
    this.bounds = new Bounds(fixture.sessionTimeout());
    this.testName = testName;
  }

  /** A fresh election name, unique in this JVM, so tests never see each other's tickets. */
  String electionName(String hint) {
    String base = "tck" + ELECTIONS.incrementAndGet() + "-" + hint.replaceAll("[^A-Za-z0-9._-]", "");
    return base.length() > 100 ? base.substring(0, 100) : base;
  }

  TckClient client() {
    return client(java.util.function.UnaryOperator.identity());
  }

  /** A client on the fixture's configuration changed by {@code derive}; closed with the test. */
  TckClient client(java.util.function.UnaryOperator<dev.elector.ClientConfig> derive) {
    TckClient c = TckClient.connect("client" + clientCount.incrementAndGet(), fixture, derive);
    synchronized (this) {
      clients.add(c);
    }
    return c;
  }

  /**
   * Joins a recorded candidate and waits until its ticket is in line, so candidates joined one after another hold
   * places in that order ({@code join()} itself returns before the ticket exists).
   */
  Candidate join(TckClient c, String election, String label) throws InterruptedException {
    return join(c, election, label, label.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** As {@link #join(TckClient, String, String)}, with the given data. */
  Candidate join(TckClient c, String election, String label, byte[] data) throws InterruptedException {
    Candidate cand = joinAsync(c, election, label, data);
    await("2.1", () -> label + "'s ticket in line\n" + lineText(election), bounds.election(), () -> {
      try {
        return c.client.election(election).participants().toCompletableFuture()
            .get(bounds.operation().toMillis(), TimeUnit.MILLISECONDS).stream()
            .anyMatch(p -> p.candidateId().equals(label));
      } catch (ExecutionException | TimeoutException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    });
    return cand;
  }

  /** Joins a recorded candidate; {@code label} doubles as its id and its data. Returns as {@code join()} does. */
  Candidate joinAsync(TckClient c, String election, String label) {
    return joinAsync(c, election, label, label.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** As {@link #joinAsync(TckClient, String, String)}, with the given data. */
  Candidate joinAsync(TckClient c, String election, String label, byte[] data) {
    Candidate cand = c.client.election(election).candidate(label).data(data)
        .listener(history.callbackExecutor(), history.listener(election, label))
        .join();
    synchronized (this) {
      candidates.put(label, cand);
      clientOf.put(label, c);
    }
    return cand;
  }

  synchronized Candidate candidate(String label) {
    return candidates.get(label);
  }

  synchronized List<String> labels() {
    return new ArrayList<>(candidates.keySet());
  }

  synchronized TckClient clientOf(String label) {
    return clientOf.get(label);
  }

  void close(String label) {
    Candidate c = candidate(label);
    history.close(label, c);
  }

  ObserverLog observe(TckClient c, String election, String name) {
    ObserverLog log = new ObserverLog(name);
    log.subscribed(c.client.election(election).observe(history.callbackExecutor(), log));
    synchronized (this) {
      observers.add(log);
    }
    return log;
  }

  // ---------------------------------------------------------------- waiting

  /** Polls until the condition holds; fails with the rule's message after {@code bound}. */
  void await(String rule, String what, Duration bound, BooleanSupplier condition) throws InterruptedException {
    await(rule, () -> what, bound, condition);
  }

  void await(String rule, Supplier<String> what, Duration bound, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("rule " + rule + ": " + what.get() + " (waited " + bound.toMillis() + " ms)");
      }
      Thread.sleep(5);
    }
  }

  /** Waits until the candidate leads. */
  Leadership awaitLeader(String rule, Candidate c, Duration bound) throws InterruptedException {
    try {
      return c.awaitLeadership(bound);
    } catch (ElectorTimeoutException e) {
      return fail("rule " + rule + ": candidate " + c.id() + " was not elected within " + bound.toMillis()
          + " ms (state " + c.state() + ")\n" + lineText(c.election()));
    }
  }

  /** The one candidate of the given ones that leads now; fails if more than one does. */
  Optional<String> leaderAmong(List<String> labels) {
    String found = null;
    for (String l : labels) {
      Candidate c = candidate(l);
      if (c != null && c.isLeader()) {
        if (found != null) {
          fail("rule 1.1: both " + found + " and " + l + " report isLeader() at once");
        }
        found = l;
      }
    }
    return Optional.ofNullable(found);
  }

  String awaitOneLeader(String rule, List<String> labels, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      Optional<String> l = leaderAmong(labels);
      if (l.isPresent()) {
        return l.get();
      }
      if (System.nanoTime() - deadline > 0) {
        return fail("rule " + rule + ": none of " + labels + " was elected within " + bound.toMillis() + " ms");
      }
      Thread.sleep(5);
    }
  }

  <T> T get(String rule, CompletionStage<T> stage) throws InterruptedException {
    try {
      return stage.toCompletableFuture().get(bounds.operation().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return fail("rule " + rule + ": operation failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      return fail("rule " + rule + ": operation did not complete within " + bounds.operation().toMillis() + " ms");
    }
  }

  List<Participant> line(String rule, TckClient c, String election) throws InterruptedException {
    return get(rule, c.client.election(election).participants());
  }

  List<String> lineIds(String rule, TckClient c, String election) throws InterruptedException {
    return line(rule, c, election).stream().map(Participant::candidateId).toList();
  }

  String lineText(String election) {
    for (TckClient c : clientsSnapshot()) {
      if (c.partitioned() || c.crashed()) {
        continue;
      }
      try {
        return "  line of " + election + ": " + c.client.election(election).participants().toCompletableFuture()
            .get(2, TimeUnit.SECONDS).stream().map(p -> p.candidateId() + "(" + p.token() + ")").toList();
      } catch (Exception e) {
        return "  line of " + election + ": unavailable (" + e + ")";
      }
    }
    return "";
  }

  synchronized List<TckClient> clientsSnapshot() {
    return new ArrayList<>(clients);
  }

  /** Closes every candidate (checked by the history), every client in parallel, and the history. */
  @Override
  public void close() {
    try {
      List<CompletableFuture<Void>> closing = new ArrayList<>();
      for (String label : labels()) {
        TckClient c = clientOf(label);
        if (c.crashed() || c.partitioned()) {
          continue;
        }
        closing.add(CompletableFuture.runAsync(() -> {
          try {
            candidate(label).close();
          } catch (RuntimeException ignored) {
            // cleanup: the test already reported what matters
          }
        }));
      }
      waitAll(closing);
      closing.clear();
      for (TckClient c : clientsSnapshot()) {
        closing.add(CompletableFuture.runAsync(() -> {
          try {
            c.close();
          } catch (RuntimeException ignored) {
            // cleanup
          }
        }));
      }
      waitAll(closing);
    } finally {
      history.close();
    }
  }

  private void waitAll(List<CompletableFuture<Void>> fs) {
    try {
      CompletableFuture.allOf(fs.toArray(CompletableFuture<?>[]::new))
          .get(bounds.operation().toMillis() * 2 + 5000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // cleanup is best effort; a hang here is reported by the timeout of the test run
    }
  }

  /** Time bounds derived from the fixture's session timeout, each stretched by {@link TimeScale}. */
  record Bounds(Duration sessionTimeout) {
    /** Rule 2.2: a planned handoff never waits for a session timeout. */
    Duration handoff() {
      return TimeScale.apply(sessionTimeout);
    }

    /** Rule 2.1: someone leads; also a first election on a fresh client. */
    Duration election() {
      return TimeScale.apply(sessionTimeout.multipliedBy(2).plusSeconds(3));
    }

    /** Rule 2.3: a crashed leader's successor within the session timeout plus this bound. */
    Duration failover() {
      return TimeScale.apply(sessionTimeout.plus(max(sessionTimeout, Duration.ofSeconds(5))));
    }

    /** Rules 2.4 and 2.5: recovery after expiry or healing, including reconnect and rejoin backoff. */
    Duration recovery() {
      return TimeScale.apply(sessionTimeout.multipliedBy(3).plusSeconds(5));
    }

    /** Rule 1.4: a cut-off leader stops being valid by its deadline, at most this long after the cut. */
    Duration stepDown() {
      return TimeScale.apply(sessionTimeout.multipliedBy(2).plusSeconds(1));
    }

    /** A single request against a live service. */
    Duration operation() {
      return TimeScale.apply(max(sessionTimeout, Duration.ofSeconds(5)));
    }

    private static Duration max(Duration a, Duration b) {
      return a.compareTo(b) >= 0 ? a : b;
    }
  }
}
