package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.tck.TckFixture.Capability;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 5, Observation: the current leader first, then every change (5.1), "no leader" (5.2), tokens that never
 * go back (5.3), nothing after cancel (5.4), and {@code participants()} in line order (5.5). {@link ElectionTck} nests
 * it, handing it the current test's {@link TestContext}.
 */
abstract class ObservationRules extends AreaRules {
  /**
   * Verifies rule 5.1: an observer first receives the current leader (or none), then every change in order.
   *
   * <p>If this test fails, check that {@code observe} reads the head before reporting and re-arms its watch
   * without losing a change.
   */
  @Test
  @DisplayName("5.1 Observers get the current leader first, then every change")
  void required_rule5_1_currentFirstThenEveryChange() throws Exception {
    String e = election("observe");
    TckClient ca = test().client();
    TckClient co = test().client();
    ObserverLog early = test().observe(co, e, "early");
    check(early.awaitFrom(0, p -> true, test().bounds.operation()) == 0, "5.1", () -> "no first report");
    check(early.seen().get(0).isEmpty(), "5.1", () -> "first report on an empty election is not 'no leader'\n"
        + early.describe());
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    check(early.awaitFrom(1, p -> p.isPresent() && p.get().token() == ta.token(), test().bounds.operation()) == 1,
        "5.1", () -> "second report is not a\n" + early.describe());
    ObserverLog late = test().observe(co, e, "late");
    check(late.awaitFrom(0, p -> true, test().bounds.operation()) == 0, "5.1", () -> "no first report");
    check(late.seen().get(0).map(Participant::token).orElse(-1L) == ta.token(), "5.1",
        () -> "a late observer's first report is not the current leader\n" + late.describe());
    Candidate b = test().join(ca, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(co, e) == 2);
    test().get("2.6", test().history.resign("a", a));
    Leadership tb = test().awaitLeader("2.2", b, test().bounds.handoff());
    for (ObserverLog o : List.of(early, late)) {
      check(o.awaitFrom(0, p -> p.isPresent() && p.get().token() == tb.token(), test().bounds.operation()) >= 0,
          "5.1", () -> "observer did not see b take over\n" + o.describe());
      o.assertValid();
    }
    closeAndCheck("a", "b");
  }

  /**
   * Verifies rule 5.2: when the line becomes empty, by close and by a crash, observers receive "no leader".
   *
   * <p>If this test fails, check that the head watch reports deletion of the last ticket as an empty head (etcd's
   * {@code Observe} does not).
   */
  @Test
  @DisplayName("5.2 'No leader' is reported when the line empties")
  void required_rule5_2_noLeaderIsReported() throws Exception {
    String e = election("no-leader");
    TckClient ca = test().client();
    TckClient co = test().client();
    ObserverLog obs = test().observe(co, e, "no-leader");
    Candidate a = test().join(ca, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    int at = obs.awaitFrom(0, Optional::isPresent, test().bounds.operation());
    check(at >= 0, "5.1", () -> "observer never saw a\n" + obs.describe());
    test().close("a");
    check(obs.awaitFrom(at + 1, Optional::isEmpty, test().bounds.handoff()) > at, "5.2",
        () -> "observer missed 'no leader' after the only candidate closed\n" + obs.describe());
    if (has(Capability.PARTITION)) {
      TckClient cc = test().client();
      Candidate c = test().join(cc, e, "c");
      test().awaitLeader("2.1", c, test().bounds.election());
      int at2 = obs.awaitFrom(at + 2, Optional::isPresent, test().bounds.operation());
      check(at2 > at, "5.1", () -> "observer never saw c\n" + obs.describe());
      cc.crash();
      check(obs.awaitFrom(at2 + 1, Optional::isEmpty, test().bounds.failover()) > at2, "5.2",
          () -> "observer missed 'no leader' after the only candidate crashed\n" + obs.describe());
    }
    obs.assertValid();
    assertHistory();
  }

  /**
   * Verifies rule 5.3: successive leaders reported to an observer have strictly increasing tokens.
   *
   * <p>If this test fails, check that the engine drops a head report older than one already delivered.
   */
  @Test
  @DisplayName("5.3 Observed tokens never go back")
  void required_rule5_3_observedTokensNeverGoBack() throws Exception {
    String e = election("observed-tokens");
    TckClient ca = test().client();
    TckClient co = test().client();
    ObserverLog obs = test().observe(co, e, "tokens");
    Candidate a = test().join(ca, e, "a");
    Candidate b = test().join(ca, e, "b");
    Candidate[] both = {a, b};
    int leader = 0;
    test().awaitLeader("2.1", a, test().bounds.election());
    int seen = obs.awaitFrom(0, p -> p.isPresent() && p.get().candidateId().equals("a"), test().bounds.operation()) + 1;
    for (int i = 0; i < 5; i++) {
      test().get("2.6", test().history.resign(both[leader].id(), both[leader]));
      String resigned = both[leader].id();
      leader = 1 - leader;
      Leadership t = test().awaitLeader("2.2", both[leader], test().bounds.handoff());
      String id = both[leader].id();
      // A completed resign means the term ended, not that the rejoin landed: resigning the new leader before
      // the old one is back in line lets its rejoin overtake (a 3-member etcd saw [b(351), a(352)]).
      List<String> expected = List.of(id, resigned);
      test().await("2.6", () -> resigned + " back in line after resigning: " + lineIds(ca, e), test().bounds.recovery(),
          () -> lineIds(ca, e).equals(expected));
      int from = seen;
      seen = obs.awaitFrom(from, p -> p.isPresent() && p.get().candidateId().equals(id), test().bounds.operation());
      obs.assertValid();
      check(seen >= from, "5.1", () -> "observer did not see " + id + " lead (token " + t.token() + ")\n"
          + obs.describe());
      seen++;
    }
    long last = Long.MIN_VALUE;
    for (Optional<Participant> p : obs.seen()) {
      if (p.isPresent()) {
        long tok = p.get().token();
        long prev = last;
        check(tok >= prev, "5.3", () -> "observer saw token " + tok + " after " + prev + "\n" + obs.describe());
        last = tok;
      }
    }
    obs.assertValid();
    closeAndCheck("a", "b");
  }

  /**
   * Verifies rule 5.4: after {@code Subscription.cancel()} returns, the observer gets nothing more.
   *
   * <p>If this test fails, check that cancel marks the subscription before returning and that each delivery
   * checks the mark on the application's executor.
   */
  @Test
  @DisplayName("5.4 Nothing arrives after cancel")
  void required_rule5_4_nothingAfterCancel() throws Exception {
    String e = election("cancel");
    TckClient ca = test().client();
    TckClient co = test().client();
    ObserverLog cancelled = test().observe(co, e, "cancelled");
    ObserverLog witness = test().observe(co, e, "witness");
    check(cancelled.awaitFrom(0, p -> true, test().bounds.operation()) == 0, "5.1", () -> "no first report");
    cancelled.cancel();
    cancelled.cancel();
    int before = cancelled.seen().size();
    Candidate a = test().join(ca, e, "a");
    test().awaitLeader("2.1", a, test().bounds.election());
    check(witness.awaitFrom(0, Optional::isPresent, test().bounds.operation()) >= 0, "5.1",
        () -> "witness observer never saw a\n" + witness.describe());
    test().close("a");
    check(witness.awaitFrom(2, Optional::isEmpty, test().bounds.handoff()) >= 0, "5.2",
        () -> "witness observer never saw 'no leader'\n" + witness.describe());
    cancelled.assertValid();
    check(cancelled.seen().size() == before, "5.4", () -> "cancelled observer received more reports\n"
        + cancelled.describe());
    assertHistory();
  }

  /**
   * Verifies rule 5.5: {@code participants()} lists the line in order, the first being the leader reported by
   * {@code leader()}.
   *
   * <p>If this test fails, check the ordering key of the line (ZooKeeper sequence suffix, etcd create revision),
   * not the whole key.
   */
  @Test
  @DisplayName("5.5 participants() lists the line in order, the leader first")
  void required_rule5_5_participantsInLineOrder() throws Exception {
    String e = election("line");
    TckClient c1 = test().client();
    TckClient c2 = test().client();
    List<String> order = List.of("z", "m", "a", "q");
    for (int i = 0; i < order.size(); i++) {
      test().join(i % 2 == 0 ? c1 : c2, e, order.get(i));
      int n = i + 1;
      test().await("5.5", "candidate in line", test().bounds.election(), () -> lineSize(c1, e) == n);
    }
    List<Participant> line = lineOf(c2, e);
    check(line.stream().map(Participant::candidateId).toList().equals(order), "5.5",
        () -> "participants() is " + line + ", joined in order " + order);
    for (int i = 1; i < line.size(); i++) {
      int j = i;
      check(line.get(j).token() > line.get(j - 1).token(), "5.5", () -> "tokens not increasing along " + line);
    }
    Optional<Participant> leader = test().get("5.5", c2.client.election(e).leader());
    check(leader.isPresent() && leader.get().candidateId().equals("z"), "5.5", () -> "leader() is " + leader);
    Leadership tz = test().awaitLeader("2.1", test().candidate("z"), test().bounds.election());
    check(tz.token() == line.get(0).token(), "5.5", () -> "the leader's token " + tz.token()
        + " differs from the head's " + line.get(0).token());
    closeAndCheck(order.toArray(new String[0]));
  }
}
