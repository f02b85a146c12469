package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 1, Safety: one leader at a time (1.1), increasing fencing tokens (1.2), a cut-off leader stepping down
 * by its deadline (1.3, 1.4), no phantom leadership or orphan ticket after a lost session (1.5), and a term over when
 * {@code resign()}/{@code close()} complete (1.6). {@link ElectionTck} nests it, handing it the current test's {@link
 * TestContext}.
 */
abstract class SafetyRules extends AreaRules {
  /**
   * Verifies rule 1.1 (and 2.1): among six candidates on three clients exactly one leads, through two handoffs.
   *
   * <p>If this test fails, check that {@code awaitHead} completes only for the first ticket of the line, and that a
   * term ends before its ticket is removed.
   */
  @Test
  @DisplayName("1.1 Exactly one of many candidates leads, through handoffs")
  void required_rule1_1_exactlyOneLeaderAmongMany() throws Exception {
    String e = election("one-leader");
    List<TckClient> cs = List.of(test().client(), test().client(), test().client());
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String l = "c" + i;
      test().join(cs.get(i % 3), e, l);
      labels.add(l);
    }
    for (int round = 0; round < 3; round++) {
      String leader = test().awaitOneLeader("2.1", labels, test().bounds.election());
      Participant head = test().line("5.5", cs.get(0), e).get(0);
      check(head.candidateId().equals(leader), "1.1",
          () -> leader + " leads but the line's head is " + head.candidateId());
      test().close(leader);
      labels.remove(leader);
    }
    closeAndCheck(labels.toArray(new String[0]));
  }

  /**
   * Verifies rule 1.2: tokens strictly increase across handoffs by resign, by close, by session expiry and by a
   * crash.
   *
   * <p>If this test fails, check that the token is the ticket's creation order in the whole service (ZooKeeper
   * {@code czxid}, etcd create revision), not a per-parent sequence number.
   */
  @Test
  @DisplayName("1.2 Tokens increase across resign, close, expiry and crash")
  void required_rule1_2_tokensIncreaseAcrossHandoffs() throws Exception {
    String e = election("tokens");
    TckClient ca = test().client();
    TckClient cb = test().client();
    TckClient cc = test().client();
    Candidate a = test().join(ca, e, "a");
    long last = test().awaitLeader("2.1", a, test().bounds.election()).token();
    Candidate b = test().join(cb, e, "b");
    Candidate c = test().join(cc, e, "c");
    test().await("5.5", "b and c in line", test().bounds.operation(), () -> lineSize(cb, e) == 3);

    test().get("2.6", test().history.resign("a", a));
    last = nextToken("resign", b, last);
    test().close("b");
    last = nextToken("close", c, last);
    test().get("2.6", test().history.resign("c", c));
    last = nextToken("resign", a, last);
    if (has(Capability.EXPIRE_SESSION)) {
      expire(ca);
      last = nextToken("session expiry", c, last);
      test().await("2.4", "a rejoined after its session expired", test().bounds.recovery(),
          () -> lineIds(cc, e).contains("a"));
    }
    if (has(Capability.PARTITION)) {
      String leader = test().awaitOneLeader("2.1", List.of("a", "c"), test().bounds.election());
      String other = leader.equals("a") ? "c" : "a";
      test().clientOf(leader).crash();
      last = nextToken("crash", test().candidate(other), last);
    }
    assertHistory();
  }

  private long nextToken(String after, Candidate next, long previous) throws InterruptedException {
    Leadership t = test().awaitLeader("2.2", next, test().bounds.failover());
    check(t.token() > previous, "1.2", () -> "after " + after + ", " + next.id() + " leads with token " + t.token()
        + " which is not larger than the previous term's " + previous);
    return t.token();
  }

  /**
   * Verifies rule 1.3 (and 2.5): a leader cut off by a partition (its connections kept open, no bytes through)
   * stops being valid before its successor is elected, and rejoins the line once healed.
   *
   * <p>If this test fails, check the session deadline: it must be computed from when the last renewal was
   * <em>sent</em> plus the session timeout, less a margin, and {@code isValid()} must compare it with the monotonic
   * clock on every call.
   */
  @Test
  @DisplayName("1.3 A partitioned leader stops being valid before a successor is elected, and rejoins after healing")
  void required_rule1_3_partitionedLeaderStepsDownBeforeSuccessor() throws Exception {
    require(Capability.PARTITION);
    String e = election("partitioned-leader");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);

    ca.partition();
    Leadership tb = test().awaitLeader("2.3", b, test().bounds.failover());
    check(!ta.isValid(), "1.3", () -> "a's term is still valid after b was elected");
    List<History.TermRecord> aTerms = test().history.terms("a");
    check(!aTerms.isEmpty() && !Double.isNaN(aTerms.get(0).firstInvalidMs()), "1.3",
        () -> "a's term was never seen to end although b leads: " + aTerms);
    check(tb.token() > ta.token(), "1.2", () -> "successor token " + tb.token() + " <= " + ta.token());

    ca.heal();
    test().await("2.5", () -> "a back in line after healing\n" + test().lineText(e), test().bounds.recovery(),
        () -> lineIds(cb, e).equals(List.of("b", "a")));
    test().close("b");
    Leadership ta2 = test().awaitLeader("2.5", a, test().bounds.recovery());
    check(ta2.token() > tb.token(), "1.2", () -> "a's new token " + ta2.token() + " <= b's " + tb.token());
    assertHistory();
  }

  /**
   * Verifies rule 1.4: a leader cut off from the service sees {@code isValid()} turn false by itself, by its
   * session deadline, without waiting for any event; {@code revoked} is delivered only after that; and once
   * false, the term stays ended when contact comes back.
   *
   * <p>If this test fails, check that {@code isValid()} reads the session deadline on every call (not a cached
   * flag set by an event), that the deadline stops moving when renewals stop being acknowledged, and that a term
   * whose validity lapsed is ended for good even if a late renewal then moves the deadline forward.
   */
  @Test
  @DisplayName("1.4 Validity turns false by the session deadline, before any callback")
  void required_rule1_4_validityEndsByDeadlineWithoutEvents() throws Exception {
    require(Capability.PARTITION);
    String e = election("validity");
    TckClient ca = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership t = test().awaitLeader("2.1", a, test().bounds.election());
    long cut = System.nanoTime();
    ca.partition();
    long deadline = cut + test().bounds.stepDown().toNanos();
    while (t.isValid()) { // polled tightly: the heal below must follow the end of validity closely
      check(System.nanoTime() - deadline < 0, "1.4", () -> "term still valid " + ms(System.nanoTime() - cut)
          + " after its client was cut off");
      LockSupport.parkNanos(50_000);
    }
    long invalidAt = System.nanoTime();
    check(!a.isLeader(), "1.4", () -> "isLeader() true although the term is no longer valid");
    // Contact comes back at once; a renewal sent before the cut may now be acknowledged. The ended term must stay
    // ended: a new term may follow, the old one never becomes valid again.
    ca.heal();
    long watchUntil = System.nanoTime() + Math.max(200_000_000L, test().fixture.sessionTimeout().toNanos() / 4);
    while (System.nanoTime() - watchUntil < 0) {
      check(!t.isValid(), "1.4", () -> "term token=" + t.token() + " became valid again "
          + ms(System.nanoTime() - invalidAt) + " after it was seen invalid (a late renewal revived it; "
          + "ended() " + (t.ended().toCompletableFuture().isDone() ? "complete" : "incomplete") + ")");
      LockSupport.parkNanos(50_000);
    }
    Leadership t2 = test().awaitLeader("2.5", a, test().bounds.recovery());
    check(t2.token() >= t.token(), "1.2", () -> "token went back from " + t.token() + " to " + t2.token());
    assertHistory();
  }

  /**
   * Verifies rule 1.5: a waiting candidate whose session is lost while it is cut off is never elected on its old
   * ticket; once healed it rejoins at the back, behind candidates that joined meanwhile.
   *
   * <p>If this test fails, check that {@code awaitHead} fails when the ticket's session expired (etcd#11051), that
   * the engine checks the ticket's session before granting a term, and that a stale completion is ignored.
   */
  @Test
  @DisplayName("1.5 No phantom leadership after the candidate's own session is lost while it waits")
  void required_rule1_5_noPhantomLeadershipAfterSessionLostWhileWaiting() throws Exception {
    require(Capability.PARTITION);
    String e = election("phantom");
    TckClient cl = test().client();
    TckClient cw = test().client();
    TckClient cx = test().client();
    Candidate l = test().join(cl, e, "l");
    test().awaitLeader("2.1", l, test().bounds.election());
    test().join(cw, e, "w");
    test().await("5.5", "w in line", test().bounds.operation(), () -> lineSize(cl, e) == 2);

    cw.partition();
    test().await("2.3", () -> "w's ticket removed by the service after its session expired\n" + test().lineText(e),
        test().bounds.failover(), () -> lineIds(cl, e).equals(List.of("l")));
    Candidate x = test().join(cx, e, "x");
    test().await("5.5", "x in line", test().bounds.operation(), () -> lineSize(cl, e) == 2);
    test().close("l");
    Leadership tx = test().awaitLeader("2.2", x, test().bounds.failover());
    check(test().history.terms("w").isEmpty(), "1.5", () -> "w was elected on the ticket of its lost session: "
        + test().history.terms("w"));

    cw.heal();
    test().await("2.4", () -> "w rejoined behind x\n" + test().lineText(e), test().bounds.recovery(),
        () -> lineIds(cl, e).equals(List.of("x", "w")));
    check(test().history.terms("w").isEmpty(), "1.5",
        () -> "w was elected while x leads: " + test().history.terms("w"));
    check(x.isLeader(), "1.5", () -> "x lost leadership when w came back");
    test().close("x");
    Leadership tw = test().awaitLeader("2.2", test().candidate("w"), test().bounds.failover());
    check(tw.token() > tx.token(), "1.5", () -> "w leads with token " + tw.token() + " not above x's "
        + tx.token() + ": elected on its old ticket");
    assertHistory();
  }

  /**
   * Verifies rule 1.5 (second half): a connection loss while joining leaves exactly one ticket per candidate and
   * no orphan.
   *
   * <p>If this test fails, check that {@code enqueue} retries find the ticket an earlier attempt created (a unique
   * marker in the key) instead of creating a second one.
   */
  @Test
  @DisplayName("1.5 A connection loss while joining leaves one ticket per candidate and no orphan")
  void required_rule1_5_connectionLossWhileJoiningLeavesNoOrphan() throws Exception {
    require(Capability.PARTITION);
    String e = election("join-blip");
    TckClient observerClient = test().client();
    TckClient cj = test().client();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String label = "j" + i;
      test().joinAsync(cj, e, label);
      labels.add(label);
      cj.blip();
    }
    test().await("1.5", () -> "exactly one ticket per candidate after connection losses while joining\n"
        + test().lineText(e), test().bounds.recovery(), () -> {
          List<String> ids = lineIds(observerClient, e);
          return ids.size() == labels.size() && ids.containsAll(labels);
        });
    for (String l : labels) {
      test().close(l);
    }
    test().await("1.5", () -> "no orphan ticket after every candidate closed\n" + test().lineText(e),
        test().bounds.operation(), () -> lineSize(observerClient, e) == 0);
    assertHistory();
  }

  /**
   * Verifies rule 1.6: when {@code resign()} or {@code close()} completes, the term has ended: {@code isValid()}
   * is false and {@code ended()} is complete.
   *
   * <p>If this test fails, check that the engine ends the term before removing the ticket and completes the
   * caller's stage only after that.
   */
  @Test
  @DisplayName("1.6 A term has ended when resign() or close() completes")
  void required_rule1_6_termEndedWhenResignOrCloseCompletes() throws Exception {
    String e = election("leave");
    TckClient c = test().client();
    Candidate a = test().join(c, e, "a");
    Candidate b = test().join(c, e, "b");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    test().get("1.6", test().history.resign("a", a));
    check(!ta.isValid() && ta.ended().toCompletableFuture().isDone(), "1.6",
        () -> "after resign() completed, the term is " + (ta.isValid() ? "still valid" : "not ended"));
    Leadership tb = test().awaitLeader("2.2", b, test().bounds.handoff());
    test().close("b");
    check(!tb.isValid() && tb.ended().toCompletableFuture().isDone(), "1.6",
        () -> "after close() returned, the term is " + (tb.isValid() ? "still valid" : "not ended"));
    closeAndCheck("a");
  }

  // ------------------------------------------------------------ blocking application code, operator

  /**
   * Verifies rule 1.6 while application code blocks: a continuation on {@code resign()}'s stage that blocks for
   * longer than the operation timeout (as {@code resign().thenRun(candidate::close)} does) and a listener whose
   * callbacks block must not let another leader's {@code close()} on the same client return while its term is
   * still valid; and when {@code resign()}'s or {@code closeAsync()}'s stage completes, the term has ended.
   *
   * <p>If this test fails, check that the stages handed to the application complete on a thread of their own
   * (never the engine thread: a continuation there stalls every candidate of the client), and that
   * {@code close()} cannot return before the term has ended, however busy the engine is.
   */
  @Test
  @DisplayName("1.6 A term has ended when close() returns, even while application code blocks")
  void required_rule1_6_termEndedWhenCloseReturnsWhileApplicationCodeBlocks() throws Exception {
    String e = election("probe-leave");
    String e2 = election("probe-leave-other");
    TckClient c = probeClient();
    try (BlockingProbe probe = new BlockingProbe(probeBlock())) {
      Candidate a = test().join(c, e, "a");
      a.addListener(probe.pool(), probe.blockingListener("a's listener"));
      Candidate k = test().join(c, e2, "k");
      Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
      Leadership tk = test().awaitLeader("2.1", k, test().bounds.election());
      probe.attach("resign()", test().history.resign("a", a), () -> termOver("resign()", "a", ta));
      check(BlockingProbe.await(test().bounds.operation(), () -> probe.ran("resign()")), "1.6",
          () -> "resign()'s stage did not complete within " + test().bounds.operation().toMillis() + " ms\n"
              + probe.describe());
      // While resign()'s continuation blocks, close the client's other leader.
      long t0 = System.nanoTime();
      test().close("k");
      long took = System.nanoTime() - t0;
      boolean valid = tk.isValid();
      boolean ended = tk.ended().toCompletableFuture().isDone();
      check(!valid && ended, "1.6", () -> "close() of k returned after " + ms(took) + " with its term token="
          + tk.token() + (valid ? " still valid (isValid() true)" : "") + (valid && !ended ? " and" : "")
          + (ended ? "" : " not ended (ended() incomplete)")
          + ", while a continuation on a's resign() stage blocked for " + probe.block.toMillis()
          + " ms\n" + probe.describe());
      Leadership ta2 = test().awaitLeader("2.6", a, test().bounds.handoff().plus(probe.block));
      probe.attach("closeAsync()", a.closeAsync(), () -> termOver("closeAsync()", "a", ta2));
      check(BlockingProbe.await(test().bounds.operation().plus(probe.block), () -> probe.ran("closeAsync()")), "1.6",
          () -> "closeAsync()'s stage did not complete\n" + probe.describe());
      check(probe.failures().isEmpty(), "1.6", () -> String.join("\n", probe.failures()) + "\n" + probe.describe());
    }
    assertHistory();
  }

  /**
   * Verifies rule 1.1 (with 2.2, 2.4 and 3.5) when an operator deletes the leader's ticket while others wait, over
   * three rounds: the old leader's term ends with {@code TICKET_LOST} before its successor's begins, the next in
   * line leads within a handoff bound, and the old leader rejoins at the back of the line.
   *
   * <p>If this test fails with rule 1.1, check that the old leader ends its term (or suspends) as soon as it learns
   * of the deletion, before any round trip, while the successor may take its fast path on the same event.
   */
  @Test
  @DisplayName("1.1 An operator deleting the leader's ticket never makes two leaders")
  void required_rule1_1_operatorDeletesTheLeadersTicket() throws Exception {
    require(Capability.OPERATOR);
    String e = election("operator-delete");
    for (String l : List.of("a", "b", "c")) {
      test().join(test().client(), e, l);
    }
    TckClient watcher = test().client();
    String leader = "a";
    Leadership term = test().awaitLeader("2.1", test().candidate(leader), test().bounds.election());
    for (int round = 0; round < 3; round++) {
      List<String> before = lineIds(watcher, e);
      String old = leader;
      check(before.size() == 3 && before.get(0).equals(old), "5.5",
          () -> "line before deleting " + old + "'s ticket is " + before);
      String next = before.get(1);
      // The service tells leader and successor in no order (SPEC 1.3): the leader hears first here, 30 ms after
      // the delete against the others' 60 ms, so a leader that waits one more round trip (30 + 60 ms) to end its
      // term still leads when its successor starts.
      for (String l : before) {
        test().clientOf(l).latency(Duration.ofMillis(l.equals(old) ? 30 : 60));
      }
      test().fixture.deleteTicket(e, old);
      Leadership successor = test().awaitLeader("2.2", test().candidate(next), test().bounds.handoff());
      for (String l : before) {
        test().clientOf(l).latency(Duration.ZERO);
      }
      EndReason r = test().get("3.5", term.ended());
      // Either is true to what the client knew: a backend that cannot tell a deleted ticket from a lost session
      // suspends the session to end the term at once, and reports the ticket lost after it.
      check(r == EndReason.TICKET_LOST || r == EndReason.SESSION_SUSPENDED, "3.5", () -> "the term of " + old
          + ", whose ticket an operator deleted, ended with " + r + ", expected TICKET_LOST or SESSION_SUSPENDED");
      List<String> expected = List.of(before.get(1), before.get(2), old);
      test().await("2.4", () -> old + " did not rejoin at the back after an operator deleted its ticket: line "
          + lineIds(watcher, e) + ", expected " + expected, test().bounds.recovery(),
          () -> lineIds(watcher, e).equals(expected));
      leader = next;
      term = successor;
    }
    closeAndCheck("a", "b", "c");
  }

  /** Fails (in the probe's continuation) unless {@code t} has ended: {@code isValid()} false, {@code ended()} done. */
  private static void termOver(String what, String label, Leadership t) {
    boolean valid = t.isValid();
    boolean ended = t.ended().toCompletableFuture().isDone();
    if (valid || !ended) {
      throw new AssertionError("when " + what + " of " + label + " completed, its term token=" + t.token()
          + (valid ? " was still valid" : "") + (ended ? "" : " had not ended (ended() incomplete)"));
    }
  }
}
