package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elector.Participant;
import dev.elector.SessionState;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * What every area of the kit shares: the current test's {@link TestContext}, the capability checks, the forced session
 * expiry, and the assertions that make each failure message start with {@code rule X.Y:}. Each area of rules (one SPEC
 * section, or part of one) extends it, and {@link ElectionTck} nests each area as a one-line {@code @Nested} class that
 * hands it the current test.
 */
abstract class AreaRules {
  /** The current test: its fixture, clients, candidates, history and time bounds. */
  abstract TestContext test();

  /** True if the fixture can do {@code c}; a TCP fixture can always partition, through the kit's proxies. */
  boolean has(Capability c) {
    return (c == Capability.PARTITION && test().fixture.tcp()) || test().fixture.capabilities().contains(c);
  }

  /** Skips the test, naming the capability, unless the fixture has it. */
  void require(Capability c) {
    assumeTrue(has(c), () -> "fixture does not declare capability " + c);
  }

  /**
   * Expires the client's session as the service does after a timeout: when the kit can partition, the client is
   * cut off first and every candidate of it has stepped down (its deadline is behind it, rule 1.3), and only then
   * is the session expired on the server and the client healed. An expiry forced on a client that is still in
   * contact cannot be noticed by it before the service elects a successor, so it would prove nothing about rule 1.1.
   */
  void expire(TckClient c) throws Exception {
    if (has(Capability.PARTITION)) {
      c.partition();
      awaitSteppedDown(c);
      test().fixture.expireSession(c.client);
      c.heal();
    } else {
      test().fixture.expireSession(c.client);
    }
  }

  /**
   * Waits until no candidate of the cut-off client leads and its session deadline has certainly passed: the client
   * no longer reports a connected session, or a whole session timeout has gone by since the cut (a deadline lies at
   * most one timeout after the last renewal sent, and none was sent after the cut). Only then can a real service
   * have expired the session; expiring it earlier lets a waiting candidate act on held-back events while its
   * deadline is still ahead, which no timeout-driven expiry can produce.
   */
  void awaitSteppedDown(TckClient c) throws InterruptedException {
    long cut = System.nanoTime();
    long timeout = test().fixture.sessionTimeout().toNanos();
    test().await("1.4", () -> "a candidate of " + c + " still leads " + ms(System.nanoTime() - cut)
        + " after its client was cut off", test().bounds.stepDown(),
        () -> (c.client.sessionState() != SessionState.CONNECTED || System.nanoTime() - cut >= timeout)
            && test().labels().stream().filter(l -> test().clientOf(l) == c)
                .noneMatch(l -> test().candidate(l).isLeader()));
  }

  /** A fresh election name, unique in this JVM. */
  String election(String hint) {
    return test().electionName(hint);
  }

  /** Waits until the history is quiet, then fails with the first rule it breaks, if any. */
  void assertHistory() throws InterruptedException {
    test().history.awaitQuiescence(test().bounds.operation());
    test().history.assertValid();
  }

  /** Closes the candidates (the history checks each {@code close()}), then {@link #assertHistory()}. */
  void closeAndCheck(String... labels) throws InterruptedException {
    for (String l : labels) {
      test().close(l);
    }
    assertHistory();
  }

  /** Fails with {@code rule <rule>: <message>} unless {@code ok}. */
  static void check(boolean ok, String rule, Supplier<String> message) {
    if (!ok) {
      fail("rule " + rule + ": " + message.get());
    }
  }

  static String ms(long nanos) {
    return (nanos / 1_000_000) + " ms";
  }

  /** Expects {@code type}, thrown at once or as the failed stage returned. */
  static <T extends Throwable> T expectFailure(String rule, String what, Class<T> type,
      ThrowingSupplier<?> call, Duration bound) {
    Object result;
    try {
      result = call.get();
    } catch (Throwable t) {
      return expectType(rule, what, type, t);
    }
    if (result instanceof CompletionStage<?> stage) {
      try {
        stage.toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        return expectType(rule, what, type, e.getCause());
      } catch (TimeoutException e) {
        return fail("rule " + rule + ": " + what + " neither failed nor completed within " + bound.toMillis() + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return fail("interrupted");
      }
    }
    return fail("rule " + rule + ": " + what + " did not fail; expected " + type.getSimpleName());
  }

  private static <T extends Throwable> T expectType(String rule, String what, Class<T> type, Throwable t) {
    Throwable x = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (!type.isInstance(x)) {
      AssertionError e = new AssertionError("rule " + rule + ": " + what + " failed with " + x
          + ", expected " + type.getSimpleName());
      e.initCause(x);
      throw e;
    }
    if (x.getMessage() == null || x.getMessage().isBlank()) {
      fail("rule " + rule + ": " + what + " failed with a " + type.getSimpleName() + " without a message");
    }
    return type.cast(x);
  }

  @FunctionalInterface
  interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  // ---------------------------------------------------------------- line helpers (never throw on a lost client)

  int lineSize(TckClient c, String election) {
    return lineOf(c, election).size();
  }

  List<String> lineIds(TckClient c, String election) {
    return lineOf(c, election).stream().map(Participant::candidateId).toList();
  }

  List<Participant> lineOf(TckClient c, String election) {
    try {
      return c.client.election(election).participants().toCompletableFuture()
          .get(test().bounds.operation().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return List.of();
    } catch (ExecutionException | TimeoutException ex) {
      return List.of(new Participant(election, "<participants() failed: " + ex + ">", -1, null));
    }
  }

  // ---------------------------------------------------------------- the blocking probe's client

  /** The probe client's operation timeout: half a session timeout, at least a second. */
  Duration probeTimeout() {
    Duration half = test().fixture.sessionTimeout().dividedBy(2);
    return half.compareTo(Duration.ofSeconds(1)) > 0 ? half : Duration.ofSeconds(1);
  }

  /**
   * How long probe code blocks: longer than the probe client's operation timeout and than a session timeout (the
   * handoff bound), so a probe that blocks anything on a handoff's path, or a wait bounded by the operation timeout,
   * shows.
   */
  Duration probeBlock() {
    Duration t = probeTimeout();
    Duration s = test().fixture.sessionTimeout();
    return (t.compareTo(s) > 0 ? t : s).plusMillis(500);
  }

  /** A client whose operation timeout is {@link #probeTimeout()}. */
  TckClient probeClient() {
    return test().client(cfg -> cfg.toBuilder().operationTimeout(probeTimeout()).build());
  }
}
