package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elector.Candidate;
import dev.elector.ClosedException;
import dev.elector.Election;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.SessionState;
import dev.elector.Subscription;
import dev.elector.tck.TckFixture.Capability;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 3, Events: {@code elected}/{@code revoked} alternate (3.1) on the application's executor (3.2), a late
 * listener hears {@code elected} first (3.3), futures complete and fail as documented (3.4), a term ends with its
 * reason (3.5), and session states arrive in order (3.6). {@link ElectionTck} nests it, handing it the current test's
 * {@link TestContext}.
 */
abstract class EventsRules extends AreaRules {
  /**
   * Verifies rule 3.1: per term, {@code elected} then {@code revoked}, exactly once each, alternating per
   * candidate, through several handoffs.
   *
   * <p>If this test fails, check listener dispatch: one serial queue per listener, each term's callbacks enqueued
   * once.
   */
  @Test
  @DisplayName("3.1 elected and revoked alternate, once per term")
  void required_rule3_1_callbacksAlternateOncePerTerm() throws Exception {
    String e = election("alternate");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    Candidate b = test().join(c, e, "b");
    Candidate[] both = {a, b};
    int leader = 0;
    test().awaitLeader("2.1", a, test().bounds.election());
    for (int i = 0; i < 4; i++) {
      test().get("2.6", test().history.resign(both[leader].id(), both[leader]));
      // A completed resign means the term ended (rule 1.6), not that the candidate is back in line: wait for that,
      // or a slow rejoin (a retried create on a loaded backend) lets the next resigner queue ahead of it.
      test().await("2.6", () -> "both back in line after a resign\n" + test().lineText(e), test().bounds.handoff(),
          () -> lineSize(c, e) == 2);
      leader = 1 - leader;
      test().awaitLeader("2.2", both[leader], test().bounds.handoff());
    }
    test().close("b");
    test().close("a");
    assertHistory();
    check(test().history.terms("a").size() == 3 && test().history.terms("b").size() == 2, "3.1",
        () -> "expected 3 terms of a and 2 of b, recorded " + test().history.terms());
    for (History.TermRecord t : test().history.terms()) {
      check(!Double.isNaN(t.revokedMs()), "3.1", () -> "term never revoked: " + t);
    }
  }

  /**
   * Verifies rule 3.2: callbacks run on the executor given at registration, and a callback that blocks does not
   * stop the application from calling the client (no lock held while callbacks run).
   *
   * <p>If this test fails, check that callbacks are handed to the application's executor and that no engine lock
   * is held while they run or while the application's executor is called.
   */
  @Test
  @DisplayName("3.2 Callbacks run on the application's executor, never while Elector holds a lock")
  void required_rule3_2_callbacksOnApplicationExecutorWithoutLocks() throws Exception {
    String e = election("executor");
    TckClient c = test().client();
    ExecutorService app = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tck-application-executor");
      t.setDaemon(true);
      return t;
    });
    CountDownLatch inCallback = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<String> thread = new AtomicReference<>();
    try {
      Candidate a = c.client.election(e).candidate("a").listener(app, new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          thread.set(Thread.currentThread().getName());
          inCallback.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {}
      }).join();
      check(inCallback.await(test().bounds.election().toMillis(), TimeUnit.MILLISECONDS), "3.2",
          () -> "elected was not delivered");
      check("tck-application-executor".equals(thread.get()), "3.2",
          () -> "elected ran on '" + thread.get() + "', not on the executor given at registration");
      // While the callback blocks, the application must still be able to use the client.
      CompletableFuture<String> probe = CompletableFuture.supplyAsync(() -> {
        a.state();
        a.isLeader();
        a.leadership();
        c.client.sessionState();
        Candidate other = c.client.election(e).join("probe");
        try {
          List<Participant> line = other.closeAsync().thenCompose(v -> c.client.election(e).participants())
              .toCompletableFuture().get(10, TimeUnit.SECONDS);
          return "ok " + line.size();
        } catch (Exception ex) {
          throw new CompletionException(ex);
        }
      });
      try {
        probe.get(test().bounds.operation().toMillis() + 5000, TimeUnit.MILLISECONDS);
      } catch (TimeoutException ex) {
        fail("rule 3.2: the client did not answer while a callback was blocked: a lock is held while callbacks run");
      }
      release.countDown();
      a.close();
    } finally {
      release.countDown();
      app.shutdownNow();
    }
  }

  /**
   * Verifies rule 3.3: a listener added during a term first receives {@code elected} for that term, then later
   * events in order.
   *
   * <p>If this test fails, check {@code addListener}: it must replay the current term to the new listener before
   * any later event.
   */
  @Test
  @DisplayName("3.3 A listener added during a term gets elected for it first")
  void required_rule3_3_listenerAddedDuringTermGetsElectedFirst() throws Exception {
    String e = election("late-listener");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    Candidate b = test().join(c, e, "b");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Calls calls = new Calls();
    a.addListener(test().history.callbackExecutor(), calls);
    test().await("3.3", () -> "late listener got elected for the current term, saw " + calls.calls,
        test().bounds.operation(), () -> !calls.calls.isEmpty());
    check(calls.calls.get(0).equals("elected:" + ta.token()), "3.3",
        () -> "late listener's first call was " + calls.calls.get(0) + ", expected elected:" + ta.token());
    test().get("2.6", test().history.resign("a", a));
    Leadership tb = test().awaitLeader("2.2", b, test().bounds.handoff());
    test().close("b");
    Leadership ta2 = test().awaitLeader("2.2", a, test().bounds.handoff());
    test().await("3.3", () -> "late listener saw the next term, saw " + calls.calls, test().bounds.operation(),
        () -> calls.calls.size() >= 3);
    check(calls.calls.get(1).equals("revoked:" + ta.token() + ":" + EndReason.RESIGNED)
        && calls.calls.get(2).equals("elected:" + ta2.token()), "3.3",
        () -> "late listener saw " + calls.calls + " (b's term " + tb.token() + " between)");
    closeAndCheck("a");
  }

  /**
   * Verifies rule 3.4: {@code elected()} completes at once for a leader, {@code awaitLeadership} times out with
   * {@code ElectorTimeoutException}, and both fail with {@code ClosedException} once the candidate is closed.
   *
   * <p>If this test fails, check the candidate's futures: they must be completed on close and never left pending.
   */
  @Test
  @DisplayName("3.4 Futures complete, time out and fail on close")
  void required_rule3_4_futures() throws Exception {
    String e = election("futures");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Leadership viaFuture = test().get("3.4", a.elected());
    check(viaFuture.token() == ta.token(), "3.4", () -> "elected() gave token " + viaFuture.token()
        + ", the current term has " + ta.token());
    Candidate b = test().join(c, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(c, e) == 2);
    long t0 = System.nanoTime();
    ElectorTimeoutException timeout = expectFailure("3.4", "awaitLeadership(200 ms) of a waiting candidate",
        ElectorTimeoutException.class, () -> b.awaitLeadership(Duration.ofMillis(200)), test().bounds.operation());
    long took = System.nanoTime() - t0;
    check(took < test().bounds.operation().toNanos(), "3.4", () -> "awaitLeadership(200 ms) took " + ms(took));
    check(Duration.ofMillis(200).equals(timeout.timeout()), "3.4",
        () -> "ElectorTimeoutException.timeout() is " + timeout.timeout() + ", expected PT0.2S");
    CompletionStage<Leadership> pending = b.elected();
    check(!pending.toCompletableFuture().isDone(), "3.4", () -> "elected() of a waiting candidate is complete");
    test().close("b");
    expectFailure("3.4", "a pending elected() of a closed candidate", ClosedException.class, () -> pending,
        test().bounds.operation());
    expectFailure("3.4", "elected() after close", ClosedException.class, b::elected, test().bounds.operation());
    expectFailure("3.4", "awaitLeadership after close", ClosedException.class,
        () -> b.awaitLeadership(Duration.ofSeconds(1)), test().bounds.operation());
    closeAndCheck("a");
  }

  /**
   * Verifies rule 3.5: {@code ended()} completes with {@code RESIGNED} after resign and {@code CLOSED} after close.
   *
   * <p>If this test fails, check which reason the engine passes when it ends a term.
   */
  @Test
  @DisplayName("3.5 A term ends with the reason: resigned, closed")
  void required_rule3_5_endReasonForResignAndClose() throws Exception {
    String e = election("reasons");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    Leadership t1 = test().awaitLeader("2.1", a, test().bounds.election());
    test().get("2.6", test().history.resign("a", a));
    check(test().get("3.5", t1.ended()) == EndReason.RESIGNED, "3.5",
        () -> "after resign, ended() gave " + t1.ended().toCompletableFuture().join());
    Leadership t2 = test().awaitLeader("2.6", a, test().bounds.handoff());
    test().close("a");
    check(test().get("3.5", t2.ended()) == EndReason.CLOSED, "3.5",
        () -> "after close, ended() gave " + t2.ended().toCompletableFuture().join());
    assertHistory();
  }

  /**
   * Verifies rule 3.5 for a lost session: the reason is one of {@code SESSION_SUSPENDED}, {@code DEADLINE_PASSED},
   * {@code SESSION_EXPIRED}, whether the client was cut off or its session expired.
   *
   * <p>If this test fails, check which reason the engine passes on session events and on a passed deadline.
   */
  @Test
  @DisplayName("3.5 A term lost with its session ends with a session reason")
  void required_rule3_5_endReasonForLostSession() throws Exception {
    assumeTrue(has(Capability.PARTITION) || has(Capability.EXPIRE_SESSION),
        "fixture declares neither capability PARTITION nor EXPIRE_SESSION");
    Set<EndReason> sessionReasons =
        Set.of(EndReason.SESSION_SUSPENDED, EndReason.DEADLINE_PASSED, EndReason.SESSION_EXPIRED);
    String e = election("lost-reason");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    if (has(Capability.PARTITION)) {
      Leadership t = test().awaitLeader("2.1", a, test().bounds.election());
      c.partition();
      EndReason r = test().get("3.5", t.ended().toCompletableFuture()
          .completeOnTimeout(null, test().bounds.stepDown().toMillis(), TimeUnit.MILLISECONDS));
      check(r != null, "3.5", () -> "ended() did not complete within " + test().bounds.stepDown().toMillis()
          + " ms of a partition");
      check(sessionReasons.contains(r), "3.5", () -> "after a partition, ended() gave " + r);
      c.heal();
    }
    if (has(Capability.EXPIRE_SESSION)) {
      Leadership t = test().awaitLeader("2.5", a, test().bounds.recovery());
      expire(c);
      EndReason r = test().get("3.5", t.ended());
      check(sessionReasons.contains(r), "3.5", () -> "after the session expired, ended() gave " + r);
      test().awaitLeader("2.4", a, test().bounds.recovery());
    }
    assertHistory();
  }

  /**
   * Verifies rule 3.6: session listeners see the current state first, then each change in order: suspended or
   * expired when the session is lost, connected again, closed last.
   *
   * <p>If this test fails, check that session events are queued per listener in the order the backend reported
   * them, and that {@code CLOSED} is delivered on close.
   */
  @Test
  @DisplayName("3.6 Session state changes are reported in order")
  void required_rule3_6_sessionStatesReported() throws Exception {
    TckClient c = test().client();
    List<SessionState> states = new CopyOnWriteArrayList<>();
    c.client.addSessionListener(test().history.callbackExecutor(), (st, id) -> states.add(st));
    test().await("3.6", () -> "first report is the current state, saw " + states, test().bounds.operation(),
        () -> !states.isEmpty());
    check(states.get(0) == SessionState.CONNECTED, "3.6", () -> "first report " + states.get(0)
        + ", expected CONNECTED");
    boolean lost = false;
    if (has(Capability.EXPIRE_SESSION)) {
      expire(c);
      lost = true;
    } else if (has(Capability.PARTITION)) {
      c.partition();
      Thread.sleep(test().fixture.sessionTimeout().multipliedBy(3).dividedBy(2).toMillis()); // the fault's length
      c.heal();
      lost = true;
    }
    if (lost) {
      test().await("3.6", () -> "EXPIRED then CONNECTED after the session was lost, saw " + states,
          test().bounds.recovery(), () -> {
            // A snapshot: a view of a list that the listener appends to meanwhile fails with
            // ConcurrentModificationException.
            List<SessionState> seen = List.copyOf(states);
            int x = seen.indexOf(SessionState.EXPIRED);
            return x > 0 && seen.subList(x, seen.size()).contains(SessionState.CONNECTED);
          });
    }
    c.client.close();
    test().await("3.6", () -> "CLOSED last, saw " + states, test().bounds.operation(),
        () -> !states.isEmpty() && states.get(states.size() - 1) == SessionState.CLOSED);
    check(states.indexOf(SessionState.CLOSED) == states.size() - 1, "3.6", () -> "states after CLOSED: " + states);
  }

  // ------------------------------------------------------------ blocking application code

  /**
   * Verifies rule 3.2 for every piece of application code Elector runs: listener callbacks on a multi-threaded
   * executor (which block) run on it; callbacks given a direct executor, and continuations (which block) attached
   * to every stage the API hands out ({@code elected()}, {@code ended()}, {@code updateData()},
   * {@code participants()}, {@code leader()}, {@code resign()}, {@code closeAsync()}) never run on Elector's
   * engine thread nor on a backend or client-library I/O thread, told apart by name ({@link ElectorThreads}).
   *
   * <p>If this test fails, check where the engine completes the stage the message names: on the engine thread
   * (completing a future there runs its continuations there) or on the thread the backend called back on.
   */
  @Test
  @DisplayName("3.2 No application code runs on Elector's engine or a backend I/O thread")
  void required_rule3_2_noApplicationCodeOnElectorOrBackendThreads() throws Exception {
    String e = election("probe-threads");
    TckClient p = probeClient();
    List<String> sites = List.of("elected()", "ended()", "updateData()", "participants()", "leader()", "resign()",
        "closeAsync()");
    try (BlockingProbe probe = new BlockingProbe(probeBlock())) {
      Election el = p.client.election(e);
      Subscription onPool = el.observe(probe.pool(), probe.observer("observer", true));
      Subscription direct = el.observe(Runnable::run, probe.observer("direct observer", false));
      Candidate a = test().join(p, e, "a");
      a.addListener(probe.pool(), probe.blockingListener("a's listener"));
      a.addListener(Runnable::run, probe.directListener("a's direct listener"));
      Candidate b = test().join(p, e, "b");
      Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
      probe.attach("elected()", b.elected(), null);
      probe.attach("ended()", ta.ended(), null);
      probe.attach("updateData()", a.updateData("a-v2".getBytes(StandardCharsets.UTF_8)), null);
      probe.attach("participants()", el.participants(), null);
      probe.attach("leader()", el.leader(), null);
      probe.attach("resign()", test().history.resign("a", a), null);
      Duration bound = test().bounds.election().plus(probe.block.multipliedBy(sites.size()));
      test().awaitLeader("2.2", b, bound);
      probe.attach("closeAsync()", b.closeAsync(), null);
      check(BlockingProbe.await(bound, () -> sites.stream().allMatch(probe::ran)), "3.2",
          () -> "not every continuation ran within " + bound.toMillis() + " ms: missing "
              + sites.stream().filter(x -> !probe.ran(x)).toList() + "\n" + probe.describe());
      onPool.cancel();
      direct.cancel();
      List<String> wrong = probe.wrongThreads();
      check(wrong.isEmpty(), "3.2", () -> "application code ran on Elector's or a backend's own threads:\n    "
          + String.join("\n    ", wrong) + "\n" + probe.describe());
    }
    assertHistory();
  }

  /** Records one listener's calls in order, for tests that need to see them directly. */
  private static final class Calls implements LeadershipListener {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void elected(Leadership term) {
      threads.add(Thread.currentThread().getName());
      calls.add("elected:" + term.token());
    }

    @Override
    public void revoked(Leadership term, EndReason reason) {
      threads.add(Thread.currentThread().getName());
      calls.add("revoked:" + term.token() + ":" + reason);
    }
  }
}
