package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.elector.Candidate;
import dev.elector.Leadership;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 2, Liveness: someone leads (2.1), handoffs are prompt (2.2), a crashed leader's successor comes within a
 * bound (2.3), a candidate rejoins after expiry (2.4), the election recovers from partitions, restarts and lost members
 * (2.5), and resign goes to the back (2.6). {@link ElectionTck} nests it, handing it the current test's {@link
 * TestContext}.
 */
abstract class LivenessRules extends AreaRules {
  /**
   * Verifies rule 2.1: candidates joining at once on live sessions elect one of them in bounded time.
   *
   * <p>If this test fails, check that a follower whose predecessor is already gone when it sets its watch looks
   * at the line again instead of waiting forever.
   */
  @Test
  @DisplayName("2.1 Someone leads within a bounded time")
  void required_rule2_1_someoneLeads() throws Exception {
    String e = election("someone");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TckClient c = test().client();
      test().join(c, e, "s" + i);
      labels.add("s" + i);
    }
    test().awaitOneLeader("2.1", labels, test().bounds.election());
    closeAndCheck(labels.toArray(new String[0]));
  }

  /**
   * Verifies rule 2.2: when the leader resigns or closes, the next in line leads within the session timeout (a
   * few round trips in practice).
   *
   * <p>If this test fails, check that {@code resign()}/{@code close()} remove the ticket at once, and that the
   * follower watches its predecessor's deletion rather than polling or waiting for expiry.
   */
  @Test
  @DisplayName("2.2 Handoff on resign and on close is prompt")
  void required_rule2_2_promptHandoffOnResignAndClose() throws Exception {
    String e = election("handoff");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(ca, e) == 2);
    test().get("2.2", test().history.resign("a", a));
    test().awaitLeader("2.2", b, test().bounds.handoff());
    test().close("b");
    test().awaitLeader("2.2", a, test().bounds.handoff());
    closeAndCheck("a");
  }

  /**
   * Verifies rule 2.3: when the leader's process dies without closing (its client cut off for good), the next in
   * line leads within the session timeout plus a bound.
   *
   * <p>If this test fails, check that the service expires silent sessions after the configured timeout and that
   * the follower's watch fires on the expiry's deletion.
   */
  @Test
  @DisplayName("2.3 Crash failover within the session timeout plus a bound")
  void required_rule2_3_crashFailover() throws Exception {
    require(Capability.PARTITION);
    String e = election("crash");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);
    long crashed = System.nanoTime();
    ca.crash();
    Leadership tb = test().awaitLeader("2.3", b, test().bounds.failover());
    System.out.println("rule 2.3: failover took " + ms(System.nanoTime() - crashed) + " with session timeout "
        + test().fixture.sessionTimeout().toMillis() + " ms");
    check(tb.token() > ta.token(), "1.2", () -> "token " + tb.token() + " <= " + ta.token());
    assertHistory();
  }

  /**
   * Verifies rule 2.4 (and 1.1): when the leader's session is expired by the service, its term is revoked before
   * anyone else is elected, the next in line leads, and the candidate rejoins at the back by itself.
   *
   * <p>If this test fails, check the handling of the session-expired event: end every term, open a new session,
   * rejoin with backoff.
   */
  @Test
  @DisplayName("2.4 After session expiry the term is revoked first, and the candidate rejoins at the back")
  void required_rule2_4_rejoinAfterSessionExpiry() throws Exception {
    require(Capability.EXPIRE_SESSION);
    String e = election("expiry");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);
    long oldSession = ca.client.sessionId();
    expire(ca);
    Leadership tb = test().awaitLeader("2.4", b, test().bounds.failover());
    check(!ta.isValid(), "1.1", () -> "a's term is valid after its session expired and b leads");
    test().await("2.4", () -> "a rejoined at the back\n" + test().lineText(e), test().bounds.recovery(),
        () -> lineIds(cb, e).equals(List.of("b", "a")));
    check(ca.client.sessionId() != oldSession, "2.4", () -> "the client kept its expired session id");
    test().await("3.5", "a's term ended with a reason", test().bounds.operation(),
        () -> ta.ended().toCompletableFuture().isDone());
    check(tb.token() > ta.token(), "1.2", () -> "token " + tb.token() + " <= " + ta.token());
    closeAndCheck("b", "a");
  }

  /**
   * Verifies rule 2.5: after a partition shorter than the session timeout, candidates keep their places (same
   * session) and the election goes on; a leader cut off briefly leads again or hands over.
   *
   * <p>If this test fails, check reconnection after a suspension: the same session must resume its tickets and
   * re-arm its watches.
   */
  @Test
  @DisplayName("2.5 After a short partition the election goes on")
  void required_rule2_5_recoverAfterShortPartition() throws Exception {
    require(Capability.PARTITION);
    String e = election("short-partition");
    TckClient cl = test().client();
    TckClient cw = test().client();
    Candidate l = test().join(cl, e, "l");
    test().awaitLeader("2.1", l, test().bounds.election());
    Candidate w = test().join(cw, e, "w");
    test().await("5.5", "w in line", test().bounds.operation(), () -> lineSize(cl, e) == 2);
    Duration brief = test().fixture.sessionTimeout().dividedBy(3);
    cw.partition();
    cl.partition();
    Thread.sleep(brief.toMillis()); // the fault's length, not a wait for a result
    cw.heal();
    cl.heal();
    test().awaitOneLeader("2.5", List.of("l", "w"), test().bounds.recovery());
    test().await("2.5", () -> "both candidates in line after healing\n" + test().lineText(e), test().bounds.recovery(),
        () -> lineSize(cl, e) == 2);
    String leader = test().awaitOneLeader("2.5", List.of("l", "w"), test().bounds.recovery());
    String other = leader.equals("l") ? "w" : "l";
    test().close(leader);
    test().awaitLeader("2.2", test().candidate(other), test().bounds.recovery());
    closeAndCheck(other);
  }

  /**
   * Verifies rule 2.6: {@code resign()} ends the term and puts the candidate at the back; the next in line leads.
   *
   * <p>If this test fails, check that resign removes the old ticket and enqueues a new one, rather than keeping the
   * old one.
   */
  @Test
  @DisplayName("2.6 Resign goes to the back of the line")
  void required_rule2_6_resignGoesToTheBack() throws Exception {
    String e = election("resign-back");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(c, e, "b");
    test().join(c, e, "c");
    test().await("5.5", "three in line", test().bounds.operation(), () -> lineSize(c, e) == 3);
    test().get("2.6", test().history.resign("a", a));
    test().awaitLeader("2.6", b, test().bounds.handoff());
    test().await("2.6", () -> "line b, c, a after a resigned\n" + test().lineText(e), test().bounds.handoff(),
        () -> lineIds(c, e).equals(List.of("b", "c", "a")));
    check(!a.isLeader(), "2.6", () -> "a leads again right after resigning");
    closeAndCheck("a", "b", "c");
  }

  /**
   * Checks the optional part of rules 1.2 and 2.5: after a connection blip shorter than the session timeout, a
   * leader keeps its place (same session) and leads again, with the same token or a larger one, before anyone
   * else. A backend that instead loses the session on every blip is still correct; the test then reports itself
   * skipped.
   *
   * <p>If this test fails, check that the client reconnects with the same session and the candidate resumes its
   * ticket rather than rejoining at the back.
   */
  @Test
  @DisplayName("2.5 (optional) A leader keeps its place across a connection blip")
  void optional_rule2_5_leaderKeepsItsPlaceAcrossAConnectionBlip() throws Exception {
    require(Capability.PARTITION);
    String e = election("blip");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership t1 = test().awaitLeader("2.1", a, test().bounds.election());
    test().join(cb, e, "b");
    ca.blip();
    String next = test().awaitOneLeader("2.5", List.of("a", "b"), test().bounds.recovery());
    if (!next.equals("a")) {
      abort("optional: after a connection blip the leader lost its place to b (the session did not survive)");
    }
    Leadership t2 = test().awaitLeader("2.5", a, test().bounds.recovery());
    check(t2.token() >= t1.token(), "1.2", () -> "token went back from " + t1.token() + " to " + t2.token());
    closeAndCheck("a", "b");
  }

  /**
   * Verifies rule 2.5 under a service restart: the election recovers with one leader and increasing tokens.
   *
   * <p>If this test fails, check reconnection after the whole service was down: sessions may expire, candidates
   * must rejoin.
   */
  @Test
  @DisplayName("2.5 The election recovers after the service restarts")
  void required_rule2_5_recoverAfterRestart() throws Exception {
    require(Capability.RESTART);
    String e = election("restart");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);
    test().fixture.restart();
    String leader = test().awaitOneLeader("2.5", List.of("a", "b"), test().bounds.recovery());
    test().await("2.5", () -> "both candidates in line after the restart\n" + test().lineText(e),
        test().bounds.recovery(), () -> lineSize(cb, e) == 2);
    String other = leader.equals("a") ? "b" : "a";
    test().close(leader);
    test().awaitLeader("2.2", test().candidate(other), test().bounds.recovery());
    closeAndCheck(other);
  }

  /**
   * Verifies rule 2.5 when one member of the service's cluster dies, each member in turn: the election keeps one
   * leader and handoffs still work.
   *
   * <p>If this test fails, check that the client knows every endpoint and fails over to another member within the
   * session timeout.
   */
  @Test
  @DisplayName("2.5 The election survives the loss of any one cluster member")
  void required_rule2_5_surviveLossOfOneMember() throws Exception {
    require(Capability.KILL_MEMBER);
    String e = election("member-loss");
    TckClient ca = test().client();
    TckClient cb = test().client();
    test().join(ca, e, "a");
    test().join(cb, e, "b");
    List<String> labels = new ArrayList<>(List.of("a", "b"));
    test().awaitOneLeader("2.1", labels, test().bounds.election());
    for (int i = 0; i < test().fixture.members(); i++) {
      test().fixture.killMember(i);
      try {
        String leader = test().awaitOneLeader("2.5", labels, test().bounds.recovery());
        String joined = "m" + i;
        test().join(i % 2 == 0 ? ca : cb, e, joined);
        labels.add(joined);
        test().close(leader);
        labels.remove(leader);
        test().awaitOneLeader("2.5", labels, test().bounds.recovery());
      } finally {
        test().fixture.restoreMember(i);
      }
    }
    closeAndCheck(labels.toArray(new String[0]));
  }

  // ------------------------------------------------------------ blocking application code

  /**
   * Verifies rule 2.2 while application code blocks: the leader's client runs listener callbacks and continuations
   * on {@code resign()}'s and {@code closeAsync()}'s stages that block for longer than the operation timeout; the
   * next in line, on another client, still leads within the handoff bound each time, and the blocked client's
   * session lives on: its leader in another election keeps its term throughout.
   *
   * <p>If this test fails, check that no stage handed to the application completes on a backend's I/O thread or
   * the engine thread: a continuation blocking there holds back the events (or heartbeats) every client behind
   * that thread is waiting for.
   */
  @Test
  @DisplayName("2.2 Handoffs stay prompt and sessions live while application code blocks")
  void required_rule2_2_promptHandoffWhileApplicationCodeBlocks() throws Exception {
    String e = election("probe-handoff");
    String e2 = election("probe-handoff-other");
    TckClient p = probeClient();
    TckClient q = test().client();
    try (BlockingProbe probe = new BlockingProbe(probeBlock())) {
      Candidate a = test().join(p, e, "a");
      a.addListener(probe.pool(), probe.blockingListener("a's listener"));
      Candidate b = test().join(q, e, "b");
      Candidate k = test().join(p, e2, "k");
      test().awaitLeader("2.1", a, test().bounds.election());
      Leadership tk = test().awaitLeader("2.1", k, test().bounds.election());
      probe.attach("resign()", test().history.resign("a", a), null);
      awaitLeaderWhileKept("resign()", e, b, tk, probe);
      // a rejoins once its client's engine runs again: only then does b's resign hand over to it.
      test().await("2.6", () -> "a back in line after its resign\n" + test().lineText(e),
          test().bounds.handoff().plus(probe.block), () -> lineSize(q, e) == 2);
      test().get("2.6", test().history.resign("b", b));
      test().awaitLeader("2.6", a, test().bounds.handoff().plus(probe.block));
      probe.attach("closeAsync()", a.closeAsync(), null);
      awaitLeaderWhileKept("closeAsync()", e, b, tk, probe);
      Duration bound = test().bounds.operation().plus(probe.block.multipliedBy(4));
      check(BlockingProbe.await(bound, () -> {
        keptValid(tk, probe);
        return probe.quiet();
      }), "2.2", () -> "the probe's code still blocks after " + bound.toMillis() + " ms\n" + probe.describe());
      keptValid(tk, probe);
    }
    assertHistory();
  }

  /** Waits a handoff bound for {@code next} to lead, checking all the while that {@code kept} stays valid. */
  private void awaitLeaderWhileKept(String after, String e, Candidate next, Leadership kept, BlockingProbe probe)
      throws InterruptedException {
    long t0 = System.nanoTime();
    Duration bound = test().bounds.handoff();
    while (!next.isLeader()) {
      keptValid(kept, probe);
      if (System.nanoTime() - t0 > bound.toNanos()) {
        fail("rule 2.2: " + next.id() + " was not elected within " + bound.toMillis() + " ms of its predecessor's "
            + after + ", while application code on the predecessor's client blocked\n" + test().lineText(e) + "\n"
            + probe.describe());
      }
      Thread.sleep(5);
    }
  }

  private void keptValid(Leadership kept, BlockingProbe probe) {
    check(kept.isValid(), "2.2", () -> "the blocked client's leader " + kept.candidateId() + " in another election "
        + "lost its term (ended: " + kept.ended().toCompletableFuture().getNow(null) + ") while application code "
        + "blocked: the blocking stalled its session\n" + probe.describe());
  }
}
