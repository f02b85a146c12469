package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.tck.TckFixture.Capability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Scenarios that realistic one-line bugs slip through unless the kit produces them: a stale "you are first" arriving
 * late, a session expired under a connected leader, slow callbacks on a pool, an answer lost in flight, one-way network
 * faults, many candidates of one session, an election deleted between terms. The kit's self-tests hold, for each, a
 * broken in-memory backend that fails it. {@link ElectionTck} tags the area {@code adversarial}: run it alone with
 * {@code -Dtest=<YourTckTest> -Dgroups=adversarial}.
 *
 * <p>{@link ElectionTck} nests it, handing it the current test's {@link TestContext}.
 */
abstract class AdversarialRules extends AreaRules {
  /** How long a slow {@code elected} takes in the callback test. */
  private static final long SLOW_CALLBACK_MILLIS = 200;
  /** Reasons a term may end with when the service expired its session (what the client saw first). */
  private static final Set<EndReason> LOST_SESSION = Set.of(EndReason.SESSION_EXPIRED, EndReason.SESSION_SUSPENDED,
      EndReason.TICKET_LOST, EndReason.DEADLINE_PASSED);

  /** The short form by default; the full one with {@code -Delector.tck.full=true}. */
  private int rounds(int short_, int full) {
    return Boolean.getBoolean("elector.tck.full") ? full : short_;
  }

  /**
   * Verifies rule 1.1 (with 1.5 and 2.6) when a stale "you are first" arrives late: round after round the leader
   * and the next in line resign back to back, so the next one leaves just as its predecessor does, and the
   * backend's answer to its wait may arrive after it moved to the back; the next one then resigns again, while its
   * new ticket's create may be in flight. Exactly the third in line must lead, and each holds one ticket.
   * Short form 8 rounds, full form ({@code -Delector.tck.full=true}) 40.
   *
   * <p>If this test fails, check that the engine ignores completions of calls it has abandoned (a superseded
   * {@code awaitHead}, an {@code enqueue} in flight when the candidate resigned) and that the backend completes a
   * wait only for the ticket it was called with, never for a newer ticket of the same candidate.
   */
  @Test
  @DisplayName("1.1 Back-to-back resigns of the leader and the next in line leave exactly the third leading")
  void required_rule1_1_backToBackResignsOfLeaderAndNextInLine() throws Exception {
    String e = election("back-to-back");
    List<TckClient> cs = List.of(test().client(), test().client(), test().client());
    List<String> labels = List.of("a", "b", "c", "d");
    for (int i = 0; i < labels.size(); i++) {
      test().join(cs.get(i % cs.size()), e, labels.get(i));
    }
    TckClient reader = cs.get(0);
    int rounds = rounds(8, 40);
    for (int r = 0; r < rounds; r++) {
      int round = r;
      test().await("2.1", () -> "round " + round + ": all four in line and one leading\n" + test().lineText(e),
          test().bounds.election(),
          () -> lineSize(reader, e) == labels.size() && test().leaderAmong(labels).isPresent());
      List<String> line = lineIds(reader, e);
      String leader = test().leaderAmong(labels).orElseThrow();
      check(leader.equals(line.get(0)), "1.1", () -> "round " + round + ": " + leader
          + " leads but the head of the line is " + line);
      String next = line.get(1);
      String third = line.get(2);
      CompletionStage<Void> first = test().history.resign(leader, test().candidate(leader));
      CompletionStage<Void> second = test().history.resign(next, test().candidate(next));
      test().get("2.6", first);
      test().get("2.6", second);
      // Once more while its new ticket's create is likely in flight: that create's answer is abandoned.
      test().get("2.6", test().history.resign(next, test().candidate(next)));
      test().awaitLeader("2.2", test().candidate(third), test().bounds.handoff());
      // Both are back in line with their waits set: a stale "first" would have started a term by now, and an
      // abandoned create taken for current would have left a second ticket.
      test().await("1.5", () -> "round " + round + ": " + leader + " and " + next + " back in line, one ticket each\n"
          + test().lineText(e), test().bounds.operation(), () -> lineSize(reader, e) == labels.size()
              && inLine(test().candidate(leader)) && inLine(test().candidate(next)));
      Optional<String> now = test().leaderAmong(labels);
      check(now.equals(Optional.of(third)), "1.1", () -> "round " + round + ": after " + leader + " and " + next
          + " resigned back to back, " + now.orElse("nobody") + " leads instead of " + third + "\n"
          + test().lineText(e));
    }
    assertHistory();
  }

  private boolean inLine(Candidate c) {
    CandidateState st = c.state();
    return st == CandidateState.WAITING || st == CandidateState.LEADING;
  }

  /**
   * Verifies rules 3.5, 3.1 and 2.4 when the service expires the session of a leader that is still connected
   * (an operator revoking a lease or expiring a session), alone in its election: the term ends with a reason that
   * names the lost session, {@code revoked} is delivered, and the candidate rejoins and leads again with a larger
   * token. Alone, it has no successor to overlap, so rule 1.3 (which excludes forced expiry) is not at stake.
   *
   * <p>If this test fails, check that the backend treats a session the service reports gone (ZooKeeper's
   * {@code Expired}, etcd's keep-alive answering TTL -1 or a lease-not-found error) as expired also while the
   * connection stays up, and reports {@code EXPIRED} then {@code CONNECTED} with the new session.
   */
  @Test
  @DisplayName("3.5 A session expired under a connected leader ends its term; the candidate leads again")
  void required_rule3_5_sessionExpiredUnderConnectedLeader() throws Exception {
    require(Capability.EXPIRE_SESSION);
    String e = election("forced-expiry");
    TckClient ca = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership t = test().awaitLeader("2.1", a, test().bounds.election());
    long expired = System.nanoTime();
    test().fixture.expireSession(ca.client); // directly: the client stays connected
    // Even a backend that never hears of the expiry renews no more, so its deadline ends the term by stepDown().
    EndReason reason;
    try {
      reason = t.ended().toCompletableFuture().get(test().bounds.stepDown().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException x) {
      reason = fail("rule 3.5: the term token=" + t.token() + " did not end within " + test().bounds.stepDown()
          .toMillis() + " ms after the service expired its session (isValid() " + t.isValid() + ", state "
          + a.state() + ")");
    }
    EndReason ended = reason;
    check(LOST_SESSION.contains(ended), "3.5", () -> "the term ended with " + ended
        + " after the service expired its session; expected one of " + LOST_SESSION);
    check(!t.isValid(), "1.4", () -> "the term is still valid after ended() completed with " + ended);
    test().await("2.4", () -> "a leading again after its session expired " + ms(System.nanoTime() - expired)
        + " ago (state " + a.state() + ")\n" + test().lineText(e), test().bounds.recovery(),
        () -> a.leadership().filter(x -> x != t).isPresent());
    Leadership t2 = a.leadership().orElseThrow();
    check(t2.token() > t.token(), "1.2", () -> "a leads again with token " + t2.token() + ", not above "
        + t.token());
    test().await("3.1", () -> "revoked delivered for the expired term: " + test().history.terms("a"),
        test().bounds.operation(), () -> test().history.terms("a").stream().anyMatch(
            r -> r.token() == t.token() && !Double.isNaN(r.revokedMs())));
    assertHistory();
  }

  /**
   * Verifies rule 3.3 on a listener registered with a pool of several threads: its {@code elected} takes a while
   * and the term ends at once, yet {@code revoked} starts only after {@code elected} returned, every round (short
   * form 3 rounds, full form 10).
   *
   * <p>If this test fails, check that each listener's callbacks go through a serial queue of their own that hands
   * one call at a time to the application's executor, instead of submitting every call to the executor directly.
   */
  @Test
  @DisplayName("3.3 On a pool of threads, revoked starts only after a slow elected returned")
  void required_rule3_3_slowElectedOnAPoolBeforeRevoked() throws Exception {
    String e = election("slow-callbacks");
    TckClient c = test().client();
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread th = new Thread(r, "tck-app-pool-" + threads.incrementAndGet());
      th.setDaemon(true);
      return th;
    });
    try {
      Candidate a = test().join(c, e, "a");
      test().awaitLeader("2.1", a, test().bounds.election());
      List<String> calls = new CopyOnWriteArrayList<>();
      a.addListener(pool, new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          calls.add("elected " + term.token());
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SLOW_CALLBACK_MILLIS));
          calls.add("elected returns " + term.token());
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {
          calls.add("revoked " + term.token());
        }
      });
      int rounds = rounds(3, 10);
      for (int r = 1; r <= rounds; r++) {
        int round = r;
        // Alone in line, a is elected again after each resign; end each term as soon as its elected has started.
        test().await("3.3", () -> "round " + round + ": elected started on the pool: " + calls,
            test().bounds.election(),
            () -> calls.stream().filter(x -> x.startsWith("elected ") && !x.contains("returns")).count() == round);
        test().get("2.6", test().history.resign("a", a));
        test().await("3.3", () -> "round " + round + ": revoked delivered: " + calls, test().bounds.operation(),
            () -> calls.stream().filter(x -> x.startsWith("revoked")).count() == round);
      }
      for (int i = 0; i < calls.size(); i++) {
        String expected = i % 3 == 0 ? "elected " : i % 3 == 1 ? "elected returns " : "revoked ";
        String got = calls.get(i);
        check(got.startsWith(expected), "3.3", () -> "on a pool of 4 threads, " + got + " came where '" + expected
            + "…' belongs: revoked must not start before elected returned: " + calls);
      }
      assertHistory();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Verifies rule 1.5 when the connection is lost while the answer to a create is in flight: the create has
   * reached the service (another client sees the ticket) and its answer is delayed, then the connection drops.
   * Afterwards each candidate holds exactly one ticket, and none is left once they all closed. On a fixture
   * without a network (no delayed answers) the connection loss comes right after the create took effect. Short
   * form 2 candidates, full form ({@code -Delector.tck.full=true}) 6.
   *
   * <p>If this test fails, check that a create retried after a connection loss first looks for the ticket the
   * earlier attempt created (a unique marker in its key), instead of creating a second one.
   */
  @Test
  @DisplayName("1.5 A connection lost while a create's answer is in flight leaves one ticket per candidate")
  void required_rule1_5_connectionLostWhileCreateAnswerInFlight() throws Exception {
    require(Capability.PARTITION);
    String e = election("lost-answer");
    TckClient reader = test().client();
    TckClient cj = test().client();
    Duration slow = Duration.ofMillis(Math.max(300, test().fixture.sessionTimeout().toMillis() / 8));
    List<String> labels = new ArrayList<>();
    int candidates = rounds(2, 6);
    for (int i = 0; i < candidates; i++) {
      String label = "j" + i;
      cj.replyLatency(slow);
      test().joinAsync(cj, e, label);
      labels.add(label);
      // Another client sees the ticket: the create reached the service, its answer is still on its way.
      test().await("1.5", () -> label + "'s ticket created\n" + test().lineText(e), test().bounds.operation(),
          () -> lineIds(reader, e).contains(label));
      cj.blip();
      cj.heal();
    }
    test().await("2.5", () -> "every candidate back in line after the connection losses\n" + test().lineText(e),
        test().bounds.recovery(), () -> labels.stream().allMatch(l -> inLine(test().candidate(l))));
    // An abandoned create's ticket may still be on its way out (the engine removes it when its answer comes).
    test().await("1.5", () -> "exactly one ticket per candidate after losing the answers to their creates\n"
        + test().lineText(e), test().bounds.operation(), () -> {
          List<String> ids = lineIds(reader, e);
          return ids.size() == labels.size() && ids.containsAll(labels);
        });
    for (String l : labels) {
      test().close(l);
    }
    test().await("1.5", () -> "no ticket left after every candidate closed\n" + test().lineText(e),
        test().bounds.operation(), () -> lineSize(reader, e) == 0);
    assertHistory();
  }

  /**
   * Verifies rule 1.3 on an asymmetric network: the leader's answers are first delayed (0.4 session timeouts),
   * then only what it sends is cut, so answers already on their way still arrive after the service last heard from
   * it. The leader must stop being valid before its successor is elected. On a fixture without a network the
   * leader is cut off silently.
   *
   * <p>If this test fails, check that the session deadline counts from when the last acknowledged renewal was
   * <em>sent</em>, not from when its answer arrived: the service counts its timeout from receiving it.
   */
  @Test
  @DisplayName("1.3 With slow answers and then only requests cut, the leader steps down before a successor")
  void required_rule1_3_slowAnswersThenRequestsCut() throws Exception {
    require(Capability.PARTITION);
    String e = election("one-way");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    test().join(cb, e, "b");
    test().await("5.5", "b in line", test().bounds.operation(), () -> lineSize(cb, e) == 2);
    Duration slow = test().fixture.sessionTimeout().multipliedBy(2).dividedBy(5);
    ca.replyLatency(slow);
    // Let renewals go out and their answers come back late for half a session timeout.
    long until = System.nanoTime() + test().fixture.sessionTimeout().toNanos() / 2;
    while (System.nanoTime() - until < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    long cut = System.nanoTime();
    ca.cutRequests();
    Leadership tb = test().awaitLeader("2.3", test().candidate("b"), test().bounds.failover());
    check(!ta.isValid(), "1.3", () -> "a's term is still valid " + ms(System.nanoTime() - cut) + " after its "
        + "requests were cut (answers delayed " + slow.toMillis() + " ms), and b was elected");
    check(tb.token() > ta.token(), "1.2", () -> "successor token " + tb.token() + " <= " + ta.token());
    ca.heal();
    test().await("2.5", () -> "a back in line after healing\n" + test().lineText(e), test().bounds.recovery(),
        () -> lineIds(cb, e).equals(List.of("b", "a")));
    assertHistory();
  }

  /**
   * Verifies rule 2.2 (with 5.5) for many candidates of one client, which share one session: they join at once,
   * then the head leaves again and again, and each time exactly the next in line by {@code participants()} leads.
   *
   * <p>If this test fails, check that a line read shared by several waiters of one session orders tickets by
   * their place in the service's line (token), not by id, key or the order the waits were set.
   */
  @Test
  @DisplayName("2.2 Many candidates of one client: each time the head leaves, exactly the next in line leads")
  void required_rule2_2_manyCandidatesOfOneClientLeadInLineOrder() throws Exception {
    String e = election("one-session-line");
    TckClient c = test().client();
    TckClient reader = test().client();
    int n = 8;
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String l = "m" + i;
      test().joinAsync(c, e, l);
      labels.add(l);
    }
    test().await("4.7", () -> "all " + n + " candidates in line\n" + test().lineText(e), test().bounds.election(),
        () -> lineSize(reader, e) == n);
    while (!labels.isEmpty()) {
      List<String> line = lineIds(reader, e);
      String leader = test().awaitOneLeader("2.1", labels, test().bounds.handoff());
      check(leader.equals(line.get(0)), "2.2", () -> leader + " leads, but the next in line by participants() is "
          + line.get(0) + "; line " + line);
      test().close(leader);
      labels.remove(leader);
      test().await("4.2", () -> leader + "'s ticket removed after close\n" + test().lineText(e),
          test().bounds.operation(),
          () -> !lineIds(reader, e).contains(leader));
    }
    assertHistory();
  }

  /**
   * Verifies rule 1.2 across the deletion of the election's container (ZooKeeper: its znode; etcd: its prefix) by
   * an operator between terms, and rule 5.3 for an observer watching across it: the next term's token is larger,
   * and the observer reports the leaders with increasing tokens.
   *
   * <p>If this test fails, check that the token is a service-wide creation order (ZooKeeper {@code czxid}, etcd
   * create revision), not a sequence number kept in the election's container, and that a watch set on a deleted
   * container is set again.
   */
  @Test
  @DisplayName("1.2 Tokens keep increasing after the election is deleted and recreated; observers see it")
  void required_rule1_2_tokensSurviveElectionDeletion() throws Exception {
    require(Capability.OPERATOR);
    String e = election("deleted");
    TckClient c = test().client();
    TckClient co = test().client();
    ObserverLog o = test().observe(co, e, "o");
    Candidate a = test().join(c, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    test().close("a");
    test().await("5.2", "the line empty after a closed", test().bounds.operation(), () -> lineSize(co, e) == 0);
    test().fixture.deleteElection(e);
    Candidate b = test().join(c, e, "b");
    Leadership tb = test().awaitLeader("2.1", b, test().bounds.election());
    check(tb.token() > ta.token(), "1.2", () -> "after the election was deleted and recreated, b leads with token "
        + tb.token() + ", not above a's " + ta.token());
    check(o.awaitFrom(0, p -> p.isPresent() && p.get().candidateId().equals("b"), test().bounds.operation()) >= 0,
        "5.1", () -> "the observer never reported b\n" + o.describe());
    o.assertValid();
    List<Long> tokens = o.seen().stream().flatMap(Optional::stream).map(Participant::token).distinct().toList();
    for (int i = 1; i < tokens.size(); i++) {
      long before = tokens.get(i - 1);
      long after = tokens.get(i);
      check(after > before, "5.3", () -> "the observer reported token " + after + " after " + before + "\n"
          + o.describe());
    }
    assertHistory();
  }
}
