package dev.elector.tck;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elector.BackendUnavailableException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InvalidInputException;
import dev.elector.Leadership;
import dev.elector.ProviderException;
import dev.elector.SessionState;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 4, Lifecycle and input, rules 4.1 to 4.5: close is idempotent (4.1), closing a client closes everything
 * (4.2), bad input fails first (4.3), discovery never fails quietly (4.4), a service that is down fails in time (4.5).
 * Rules 4.6 to 4.9 are in {@link LifecycleLineRules}, which this class extends so that both stay one area of the
 * report. {@link ElectionTck} nests it, handing it the current test's {@link TestContext}.
 */
abstract class LifecycleRules extends LifecycleLineRules {
  /**
   * Verifies rule 4.1: {@code close()} is idempotent, and using a closed candidate or client fails with
   * {@code ClosedException} naming what is closed.
   *
   * <p>If this test fails, check the closed flag of candidates and clients and the messages of their
   * {@code ClosedException}s.
   */
  @Test
  @DisplayName("4.1 Close is idempotent; use after close fails clearly")
  void required_rule4_1_closeIdempotentAndUseAfterCloseFails() throws Exception {
    String e = election("closed");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a-4.1");
    test().awaitLeader("2.1", a, test().bounds.election());
    test().close("a-4.1");
    a.close();
    test().get("4.1", a.closeAsync());
    check(a.state() == dev.elector.CandidateState.CLOSED, "4.1", () -> "state after close is " + a.state());
    ClosedException x = expectFailure("4.1", "resign() after close", ClosedException.class, a::resign,
        test().bounds.operation());
    check(x.getMessage().contains("a-4.1"), "4.1", () -> "message does not name the candidate: " + x.getMessage());
    expectFailure("4.1", "updateData() after close", ClosedException.class,
        () -> a.updateData(new byte[] {1}), test().bounds.operation());
    c.client.close();
    c.client.close();
    expectFailure("4.1", "election() on a closed client", ClosedException.class,
        () -> c.client.election("x"), test().bounds.operation());
    check(c.client.sessionState() == SessionState.CLOSED, "4.1",
        () -> "closed client's state is " + c.client.sessionState());
    assertHistory();
  }

  /**
   * Verifies rule 4.2: closing a client closes its candidates (their tickets leave the line), cancels its
   * observers and ends its session.
   *
   * <p>If this test fails, check the client's close path: every candidate closed, every observation cancelled.
   */
  @Test
  @DisplayName("4.2 Closing a client closes its candidates and observers")
  void required_rule4_2_closingClientClosesEverything() throws Exception {
    String e = election("client-close");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a1 = test().join(ca, e, "a1");
    Leadership t1 = test().awaitLeader("2.1", a1, test().bounds.election());
    Candidate a2 = test().join(ca, e, "a2");
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "three in line", test().bounds.operation(), () -> lineSize(cb, e) == 3);
    ObserverLog obs = test().observe(ca, e, "on-closed-client");
    test().await("5.1", "observer's first report", test().bounds.operation(), () -> !obs.seen().isEmpty());
    long called = System.nanoTime();
    ca.client.close();
    obs.closedNow();
    test().history.closedWithClient("a1", a1, Optional.of(t1), called);
    test().history.closedWithClient("a2", a2, Optional.empty(), called);
    check(a1.state() == dev.elector.CandidateState.CLOSED && a2.state() == dev.elector.CandidateState.CLOSED,
        "4.2", () -> "candidates of a closed client are " + a1.state() + ", " + a2.state());
    test().await("4.2", () -> "the closed client's tickets left the line\n" + test().lineText(e),
        test().bounds.handoff(),
        () -> lineIds(cb, e).equals(List.of("b")));
    test().awaitLeader("2.2", b, test().bounds.handoff());
    obs.assertValid();
    closeAndCheck("b");
  }

  /**
   * Verifies rule 4.2 when the application closes the client from a callback it registered with a direct executor,
   * which runs on Elector's own thread (and, where the backend shares it, on the backend's thread): the close must
   * do that thread's part itself rather than wait for it, end the session so that its tickets leave the line at
   * once, and return well within the operation timeout.
   *
   * <p>If this test fails, check the engine's and the backend's close when called on their own thread: a task
   * posted to the thread that is running the close runs only after the close returns.
   */
  @Test
  @DisplayName("4.2 A client closed from its own callback on a direct executor closes everything at once")
  void required_rule4_2_closeFromADirectCallback() throws Exception {
    String e = election("close-from-callback");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a-close-cb");
    Leadership t = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b-close-cb");
    test().await("5.5", "two in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);
    AtomicLong called = new AtomicLong();
    CompletableFuture<Long> took = new CompletableFuture<>();
    AtomicReference<CompletionStage<Void>> aClosed = new AtomicReference<>();
    ca.client.addSessionListener(Runnable::run, (state, id) -> {
      if (called.compareAndSet(0, System.nanoTime())) {
        aClosed.set(a.closeAsync()); // a stage taken before the client's close, which the close must complete
        ca.client.close();
        took.complete(System.nanoTime() - called.get());
      }
    });
    long closeNanos = test().get("4.2", took);
    // Closed on Elector's thread, the term's ended() completes on the callback pool, not inline (no application
    // continuation runs on Elector's thread): let it, before the history checks that the term ended.
    test().get("1.6", t.ended());
    test().history.closedWithClient("a-close-cb", a, Optional.of(t), called.get());
    // A close that waits for a task queued behind itself waits the operation timeout at least twice (the engine's
    // removals, the backend's shutdown); one that does not may still wait up to once for a revoke or a session
    // close answered by the service.
    Duration limit = ca.client.config().operationTimeout().multipliedBy(3).dividedBy(2);
    check(closeNanos < limit.toNanos(), "4.2", () -> "close() from a direct callback took " + closeNanos / 1_000_000
        + " ms, not less than 1.5 x the client's operation timeout (" + limit.toMillis()
        + " ms): it waited for a task queued on its own thread");
    check(a.state() == dev.elector.CandidateState.CLOSED, "4.2", () -> "candidate of the closed client is "
        + a.state());
    test().get("4.2", aClosed.get()); // its ticket's removal ended, though it was queued behind the close
    test().awaitLeader("2.2", b, test().bounds.handoff());
    closeAndCheck("b-close-cb");
  }

  /**
   * Verifies rule 4.3: blank, oversized or malformed names, ids, data and configuration fail with
   * {@code InvalidInputException} naming the value, before any I/O (so also on a client cut off from the
   * service).
   *
   * <p>If this test fails, check the validation in {@code ClientConfig}, {@code election(...)},
   * {@code candidate(...)}, {@code join()} and {@code updateData}.
   */
  @Test
  @DisplayName("4.3 Bad names, ids, data and config fail first, naming the value")
  void required_rule4_3_badInputFailsFirst() throws Exception {
    TckClient c = test().client();
    String e = election("input");
    Candidate a = test().join(c, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    if (has(Capability.PARTITION)) {
      c.partition(); // any I/O would now hang: the errors must come first
    }
    Duration quick = Duration.ofSeconds(1);
    ElectionClient cl = c.client;
    String tooLong = "n".repeat(129);
    for (String bad : new String[] {"", " ", "a/b", ".hidden", "-dash", "sp ace", tooLong, "ünï"}) {
      InvalidInputException x = expectFailure("4.3", "election name '" + bad + "'", InvalidInputException.class,
          () -> cl.election(bad), quick);
      check(x.getMessage().contains(bad.length() > 80 ? bad.substring(0, 40) : bad), "4.3",
          () -> "message does not name the value '" + bad + "': " + x.getMessage());
    }
    expectFailure("4.3", "election name null", NullPointerException.class, () -> cl.election(null), quick);
    Election el = cl.election(e);
    for (String bad : new String[] {"", "   ", "i".repeat(257), "a\u0000b", "tab\there"}) {
      expectFailure("4.3", "candidate id '" + bad.replace("\u0000", "\\0") + "'", InvalidInputException.class,
          () -> el.candidate(bad).join(), quick);
    }
    expectFailure("4.3", "candidate id null", NullPointerException.class, () -> el.candidate(null).join(), quick);
    byte[] big = new byte[cl.config().maxDataBytes() + 1];
    InvalidInputException d = expectFailure("4.3", "candidate data of maxDataBytes+1", InvalidInputException.class,
        () -> el.candidate("big").data(big).join(), quick);
    check(d.getMessage().contains(String.valueOf(big.length)), "4.3",
        () -> "message does not name the size " + big.length + ": " + d.getMessage());
    expectFailure("4.3", "updateData of maxDataBytes+1", InvalidInputException.class, () -> a.updateData(big),
        quick);
    expectFailure("4.3", "updateData(null)", NullPointerException.class, () -> a.updateData(null), quick);
    ClientConfig good = test().fixture.config(test().fixture.endpoints());
    expectFailure("4.3", "sessionTimeout 0", InvalidInputException.class,
        () -> good.toBuilder().sessionTimeout(Duration.ZERO).build(), quick);
    expectFailure("4.3", "connectTimeout -1s", InvalidInputException.class,
        () -> good.toBuilder().connectTimeout(Duration.ofSeconds(-1)).build(), quick);
    expectFailure("4.3", "no endpoints", InvalidInputException.class,
        () -> good.toBuilder().endpoints(List.of()).build(), quick);
    expectFailure("4.3", "root 'no-slash'", InvalidInputException.class,
        () -> good.toBuilder().root("no-slash"), quick);
    expectFailure("4.3", "maxDataBytes -1", InvalidInputException.class,
        () -> good.toBuilder().maxDataBytes(-1), quick);
    expectFailure("4.3", "unknown backend option", InvalidInputException.class,
        () -> test().fixture.connect(good.toBuilder().option("noSuchOptionForTck", "1").build()),
        test().bounds.operation());
    expectFailure("4.3", "malformed URI", InvalidInputException.class, () -> Elections.connect("::not a uri"),
        quick);
    if (c.partitioned()) {
      c.heal();
    }
    closeAndCheck("a");
  }

  /**
   * Verifies rule 4.4: an unknown scheme is a {@code ProviderException} that names the scheme.
   *
   * <p>If this test fails, check the provider discovery's error messages.
   */
  @Test
  @DisplayName("4.4 An unknown scheme fails with a ProviderException naming it")
  void required_rule4_4_discoveryNeverFailsQuietly() {
    ProviderException x = expectFailure("4.4", "connect to scheme 'nosuchtck'", ProviderException.class,
        () -> Elections.connect("nosuchtck://127.0.0.1:1/x"), Duration.ofSeconds(5));
    check(x.getMessage().contains("nosuchtck"), "4.4", () -> "message does not name the scheme: " + x.getMessage());
    String scheme = test().fixture.config(test().fixture.endpoints()).scheme();
    check(x.getMessage().contains(scheme), "4.4",
        () -> "message does not list the provider found (" + scheme + "): " + x.getMessage());
  }

  /**
   * Verifies rule 4.5: connecting to a service that accepts connections but never answers fails with
   * {@code BackendUnavailableException} within the connect timeout.
   *
   * <p>If this test fails, check that connect waits for the first session at most {@code connectTimeout} and
   * closes what it opened.
   */
  @Test
  @DisplayName("4.5 Connecting to a service that is down fails within the connect timeout")
  void required_rule4_5_unreachableBackendFailsInTime() throws Exception {
    List<FaultProxy> dead = new ArrayList<>();
    try {
      ClientConfig config;
      if (test().fixture.tcp()) {
        List<String> eps = new ArrayList<>();
        for (String ep : test().fixture.endpoints()) {
          FaultProxy p = FaultProxy.start(ep);
          p.partition();
          dead.add(p);
          eps.add(p.endpoint());
        }
        config = test().fixture.config(eps);
      } else {
        Optional<ClientConfig> u = test().fixture.unreachableConfig();
        assumeTrue(u.isPresent(), "fixture offers no unreachable configuration (TckFixture.unreachableConfig)");
        config = u.get();
      }
      Duration connectTimeout = Duration.ofSeconds(2);
      ClientConfig quick = config.toBuilder().connectTimeout(connectTimeout).build();
      long t0 = System.nanoTime();
      expectFailure("4.5", "connect to a service that never answers", BackendUnavailableException.class,
          () -> test().fixture.connect(quick), connectTimeout.plusSeconds(10));
      long took = System.nanoTime() - t0;
      check(took < connectTimeout.plusSeconds(3).toNanos(), "4.5",
          () -> "connect failed after " + ms(took) + ", connect timeout " + connectTimeout.toMillis() + " ms");
    } finally {
      dead.forEach(FaultProxy::close);
    }
  }
}
