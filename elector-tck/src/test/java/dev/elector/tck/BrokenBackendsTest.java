package dev.elector.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.tck.Broken.Variant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.jupiter.api.Test;

/**
 * The kit tests itself: each broken variant of the in-memory backend ({@link Broken.Variant}) makes the kit's test
 * for the rule it breaks fail, with a message that starts with that rule. The unbroken backend passes the same tests
 * in {@link MemTckTest}.
 */
class BrokenBackendsTest {

  /** Runs {@code test} against {@code variant} and asserts it fails with a message starting with one of the rules. */
  private static void assertFails(Variant variant, Class<?> area, String test, String rule, String... orRules) {
    BrokenKit.variant = variant;
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(DiscoverySelectors.selectNestedMethod(List.of(BrokenKit.class), area, test))
        .execute();
    List<Event> finished = results.testEvents().finished().list();
    assertThat(finished).as("%s ran", test).hasSize(1);
    TestExecutionResult r = finished.get(0).getRequiredPayload(TestExecutionResult.class);
    Optional<Throwable> t = r.getThrowable();
    assertThat(r.getStatus())
        .as("%s against %s should fail, but: %s", test, variant, t.map(String::valueOf).orElse("no failure"))
        .isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(t).isPresent();
    List<String> prefixes = new ArrayList<>(List.of("rule " + rule + ":"));
    for (String r2 : orRules) {
      prefixes.add("rule " + r2 + ":");
    }
    assertThat(t.get().getMessage())
        .as("%s against %s failed with the wrong rule (%s)", test, variant, t.get())
        .satisfies(m -> assertThat(prefixes).anyMatch(m::startsWith));
    System.out.println(variant + " -> " + test + ": " + t.get().getMessage().lines().findFirst().orElse(""));
  }

  /** The kit's {@code required_rule1_1_exactlyOneLeaderAmongMany} fails a backend with {@code TWO_LEADERS}. */
  @Test
  void rule1_1_shouldFailBy_twoLeadersAtOnce() {
    assertFails(Variant.TWO_LEADERS, ElectionTck.Safety.class, "required_rule1_1_exactlyOneLeaderAmongMany", "1.1");
  }

  /** The kit's {@code required_rule1_2_tokensIncreaseAcrossHandoffs} fails a backend with {@code TOKEN_GOES_BACK}. */
  @Test
  void rule1_2_shouldFailBy_aTokenThatGoesBack() {
    assertFails(Variant.TOKEN_GOES_BACK, ElectionTck.Safety.class, "required_rule1_2_tokensIncreaseAcrossHandoffs", "1.2");
  }

  /** The kit's {@code required_rule1_3_partitionedLeaderStepsDownBeforeSuccessor} fails a backend with {@code NO_STEP_DOWN_WHEN_PARTITIONED}. */
  @Test
  void rule1_3_shouldFailBy_aLeaderThatDoesNotStepDownWhenPartitioned() {
    assertFails(Variant.NO_STEP_DOWN_WHEN_PARTITIONED, ElectionTck.Safety.class, "required_rule1_3_partitionedLeaderStepsDownBeforeSuccessor", "1.3");
  }

  /** The kit's {@code required_rule1_4_validityEndsByDeadlineWithoutEvents} fails a backend with {@code NO_STEP_DOWN_WHEN_PARTITIONED}. */
  @Test
  void rule1_4_shouldFailBy_validityThatIgnoresTheDeadline() {
    assertFails(Variant.NO_STEP_DOWN_WHEN_PARTITIONED, ElectionTck.Safety.class, "required_rule1_4_validityEndsByDeadlineWithoutEvents", "1.4");
  }

  /** The kit's {@code required_rule1_5_noPhantomLeadershipAfterSessionLostWhileWaiting} fails a phantom leader. */
  @Test
  void rule1_5_shouldFailBy_aPhantomLeaderOnAnExpiredSession() {
    assertFails(Variant.PHANTOM_LEADER, ElectionTck.Safety.class,
        "required_rule1_5_noPhantomLeadershipAfterSessionLostWhileWaiting", "1.5");
  }

  /** The kit's {@code required_rule1_5_connectionLossWhileJoiningLeavesNoOrphan} fails a backend with {@code TWO_TICKETS_PER_JOIN}. */
  @Test
  void rule1_5_shouldFailBy_twoTicketsPerJoin() {
    assertFails(Variant.TWO_TICKETS_PER_JOIN, ElectionTck.Safety.class, "required_rule1_5_connectionLossWhileJoiningLeavesNoOrphan", "1.5");
  }

  /** The kit's {@code required_rule1_6_termEndedWhenResignOrCloseCompletes} fails a backend with {@code RESIGN_COMPLETES_EARLY}. */
  @Test
  void rule1_6_shouldFailBy_resignCompletingBeforeTheTermEnds() {
    assertFails(Variant.RESIGN_COMPLETES_EARLY, ElectionTck.Safety.class, "required_rule1_6_termEndedWhenResignOrCloseCompletes", "1.6");
  }

  /** The kit's {@code required_rule2_1_someoneLeads} fails a backend with {@code NOBODY_LEADS}. */
  @Test
  void rule2_1_shouldFailBy_nobodyLeading() {
    assertFails(Variant.NOBODY_LEADS, ElectionTck.Liveness.class, "required_rule2_1_someoneLeads", "2.1");
  }

  /** The kit's {@code required_rule2_2_promptHandoffOnResignAndClose} fails a backend with {@code SLOW_HANDOFF}. */
  @Test
  void rule2_2_shouldFailBy_aSlowHandoff() {
    assertFails(Variant.SLOW_HANDOFF, ElectionTck.Liveness.class, "required_rule2_2_promptHandoffOnResignAndClose", "2.2");
  }

  /** The kit's {@code required_rule2_3_crashFailover} fails a backend with {@code ZOMBIE_SESSIONS}. */
  @Test
  void rule2_3_shouldFailBy_sessionsThatNeverExpire() {
    assertFails(Variant.ZOMBIE_SESSIONS, ElectionTck.Liveness.class, "required_rule2_3_crashFailover", "2.3");
  }

  /** The kit's {@code required_rule2_4_rejoinAfterSessionExpiry} fails a backend with {@code NO_REJOIN_AFTER_EXPIRY}. */
  @Test
  void rule2_4_shouldFailBy_notRejoiningAfterExpiry() {
    assertFails(Variant.NO_REJOIN_AFTER_EXPIRY, ElectionTck.Liveness.class, "required_rule2_4_rejoinAfterSessionExpiry", "2.4");
  }

  /** The kit's {@code required_rule2_6_resignGoesToTheBack} fails a backend with {@code RESIGN_IGNORED}. */
  @Test
  void rule2_6_shouldFailBy_ignoringResign() {
    assertFails(Variant.RESIGN_IGNORED, ElectionTck.Liveness.class, "required_rule2_6_resignGoesToTheBack", "2.6");
  }

  /** The kit's {@code required_rule3_1_callbacksAlternateOncePerTerm} fails a backend with {@code CALLBACK_TWICE}. */
  @Test
  void rule3_1_shouldFailBy_aCallbackDeliveredTwice() {
    assertFails(Variant.CALLBACK_TWICE, ElectionTck.Events.class, "required_rule3_1_callbacksAlternateOncePerTerm", "3.1");
  }

  /** The kit's {@code required_rule3_2_callbacksOnApplicationExecutorWithoutLocks} fails a backend with {@code CALLBACK_ON_WRONG_EXECUTOR}. */
  @Test
  void rule3_2_shouldFailBy_callbacksOnTheWrongThread() {
    assertFails(Variant.CALLBACK_ON_WRONG_EXECUTOR, ElectionTck.Events.class, "required_rule3_2_callbacksOnApplicationExecutorWithoutLocks", "3.2");
  }

  /** The kit's {@code required_rule3_3_listenerAddedDuringTermGetsElectedFirst} fails a backend with {@code LATE_LISTENER_MISSES_TERM}. */
  @Test
  void rule3_3_shouldFailBy_aLateListenerMissingTheCurrentTerm() {
    assertFails(Variant.LATE_LISTENER_MISSES_TERM, ElectionTck.Events.class, "required_rule3_3_listenerAddedDuringTermGetsElectedFirst", "3.3");
  }

  /** The kit's {@code required_rule3_4_futures} fails a backend with {@code AWAIT_NEVER_TIMES_OUT}. */
  @Test
  void rule3_4_shouldFailBy_awaitLeadershipNotTimingOut() {
    assertFails(Variant.AWAIT_NEVER_TIMES_OUT, ElectionTck.Events.class, "required_rule3_4_futures", "3.4");
  }

  /** The kit's {@code required_rule3_5_endReasonForResignAndClose} fails a backend with {@code WRONG_END_REASON}. */
  @Test
  void rule3_5_shouldFailBy_theWrongEndReason() {
    assertFails(Variant.WRONG_END_REASON, ElectionTck.Events.class, "required_rule3_5_endReasonForResignAndClose", "3.5");
  }

  /** The kit's {@code required_rule3_6_sessionStatesReported} fails a backend with {@code SESSION_EXPIRED_NOT_REPORTED}. */
  @Test
  void rule3_6_shouldFailBy_aMissingExpiredEvent() {
    assertFails(Variant.SESSION_EXPIRED_NOT_REPORTED, ElectionTck.Events.class, "required_rule3_6_sessionStatesReported", "3.6");
  }

  /** The kit's {@code required_rule4_1_closeIdempotentAndUseAfterCloseFails} fails a backend with {@code USE_AFTER_CLOSE_SILENT}. */
  @Test
  void rule4_1_shouldFailBy_silentUseAfterClose() {
    assertFails(Variant.USE_AFTER_CLOSE_SILENT, ElectionTck.Lifecycle.class, "required_rule4_1_closeIdempotentAndUseAfterCloseFails", "4.1");
  }

  /** The kit's {@code required_rule4_2_closingClientClosesEverything} fails a backend with {@code CLIENT_CLOSE_LEAVES_CANDIDATES}. */
  @Test
  void rule4_2_shouldFailBy_aClientCloseThatLeavesCandidates() {
    assertFails(Variant.CLIENT_CLOSE_LEAVES_CANDIDATES, ElectionTck.Lifecycle.class, "required_rule4_2_closingClientClosesEverything", "4.2");
  }

  /** The kit's {@code required_rule4_3_badInputFailsFirst} fails a backend with {@code BAD_INPUT_ACCEPTED}. */
  @Test
  void rule4_3_shouldFailBy_acceptingBadInput() {
    assertFails(Variant.BAD_INPUT_ACCEPTED, ElectionTck.Lifecycle.class, "required_rule4_3_badInputFailsFirst", "4.3");
  }

  /** The kit's {@code required_rule4_6_dataUpdatesAreVisible} fails a backend with {@code DATA_UPDATE_LOST}. */
  @Test
  void rule4_6_shouldFailBy_aLostDataUpdate() {
    assertFails(Variant.DATA_UPDATE_LOST, ElectionTck.Lifecycle.class, "required_rule4_6_dataUpdatesAreVisible", "4.6");
  }

  /** The kit's {@code required_rule4_7_hundredCandidatesJoinAndLeaveAtOnce} fails a backend with {@code CLOSE_LEAKS_TICKETS}. */
  @Test
  void rule4_7_shouldFailBy_closesThatLeakTickets() {
    assertFails(Variant.CLOSE_LEAKS_TICKETS, ElectionTck.Lifecycle.class, "required_rule4_7_hundredCandidatesJoinAndLeaveAtOnce", "4.7");
  }

  /** The kit's {@code required_rule5_1_currentFirstThenEveryChange} fails a backend with {@code OBSERVER_MISSES_CURRENT}. */
  @Test
  void rule5_1_shouldFailBy_anObserverMissingTheCurrentLeader() {
    assertFails(Variant.OBSERVER_MISSES_CURRENT, ElectionTck.Observation.class, "required_rule5_1_currentFirstThenEveryChange", "5.1");
  }

  /** The kit's {@code required_rule5_2_noLeaderIsReported} fails a backend with {@code OBSERVER_MISSES_NO_LEADER}. */
  @Test
  void rule5_2_shouldFailBy_anObserverMissingNoLeader() {
    assertFails(Variant.OBSERVER_MISSES_NO_LEADER, ElectionTck.Observation.class, "required_rule5_2_noLeaderIsReported", "5.2");
  }

  /** The kit's {@code required_rule5_3_observedTokensNeverGoBack} fails a backend with {@code OBSERVER_TOKEN_GOES_BACK}. */
  @Test
  void rule5_3_shouldFailBy_observedTokensGoingBack() {
    assertFails(Variant.OBSERVER_TOKEN_GOES_BACK, ElectionTck.Observation.class, "required_rule5_3_observedTokensNeverGoBack", "5.3");
  }

  /** The kit's {@code required_rule5_4_nothingAfterCancel} fails a backend with {@code CANCEL_IGNORED}. */
  @Test
  void rule5_4_shouldFailBy_anIgnoredCancel() {
    assertFails(Variant.CANCEL_IGNORED, ElectionTck.Observation.class, "required_rule5_4_nothingAfterCancel", "5.4");
  }

  /** The kit's {@code required_rule5_5_participantsInLineOrder} fails a backend with {@code PARTICIPANTS_REVERSED}. */
  @Test
  void rule5_5_shouldFailBy_participantsInReverse() {
    assertFails(Variant.PARTICIPANTS_REVERSED, ElectionTck.Observation.class, "required_rule5_5_participantsInLineOrder", "5.5");
  }

  /** The kit's {@code stochastic_rule1_1_randomFaultsKeepTheHistoryValid} fails a backend with {@code TWO_LEADERS}. */
  @Test
  void stochastic_rule1_1_shouldFailBy_twoLeadersAtOnce() {
    System.setProperty("elector.tck.duration", "6s");
    try {
      assertFails(Variant.TWO_LEADERS, ElectionTck.Randomized.class,
          "stochastic_rule1_1_randomFaultsKeepTheHistoryValid", "1.1");
    } finally {
      System.clearProperty("elector.tck.duration");
    }
  }

  // ---------------------------------------------------------------- the adversarial scenarios

  /** Runs one test of the kit against {@code variant} and returns its result. */
  private static TestExecutionResult run(Variant variant, Class<?> area, String test) {
    BrokenKit.variant = variant;
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(DiscoverySelectors.selectNestedMethod(List.of(BrokenKit.class), area, test))
        .execute();
    List<Event> finished = results.testEvents().finished().list();
    assertThat(finished).as("%s ran", test).hasSize(1);
    return finished.get(0).getRequiredPayload(TestExecutionResult.class);
  }

  /**
   * The harness for the engine's fence: every answer late, and a late "you are first" for every wait its ticket's
   * removal superseded. The engine fences them, so the back-to-back test passes; an engine without the fence would
   * start a term on each, as {@link Variant#STALE_FIRST_AS_CURRENT} shows.
   */
  @Test
  void rule1_1_backToBackResignsPassWithLateCompletionsWhenTheEngineFencesThem() {
    TestExecutionResult r = run(Variant.LATE_COMPLETIONS, ElectionTck.Adversarial.class,
        "required_rule1_1_backToBackResignsOfLeaderAndNextInLine");
    assertThat(r.getStatus()).as("against late completions: %s", r.getThrowable().map(String::valueOf).orElse(""))
        .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
  }

  /**
   * The kit's {@code required_rule1_1_backToBackResignsOfLeaderAndNextInLine} fails a stale "first" taken as current.
   * The candidate elected out of turn holds an older token than the term before it: when that term ended before it
   * was ever seen valid, no two terms overlap and the kit reports the token going back (rule 1.2) instead; both are
   * the kit catching the planted bug.
   */
  @Test
  void rule1_1_shouldFailBy_aStaleFirstTakenForTheCurrentWait() {
    assertFails(Variant.STALE_FIRST_AS_CURRENT, ElectionTck.Adversarial.class,
        "required_rule1_1_backToBackResignsOfLeaderAndNextInLine", "1.1", "1.2");
  }

  /** The kit's {@code required_rule3_5_sessionExpiredUnderConnectedLeader} fails a backend blind to that expiry. */
  @Test
  void rule3_5_shouldFailBy_anExpiryUnnoticedWhileConnected() {
    assertFails(Variant.EXPIRY_UNNOTICED_WHILE_CONNECTED, ElectionTck.Adversarial.class,
        "required_rule3_5_sessionExpiredUnderConnectedLeader", "3.5");
  }

  /** The kit's {@code required_rule3_3_slowElectedOnAPoolBeforeRevoked} fails callbacks handed to a pool unqueued. */
  @Test
  void rule3_3_shouldFailBy_callbacksUnserializedOnAPool() {
    assertFails(Variant.CALLBACKS_UNSERIALIZED, ElectionTck.Adversarial.class,
        "required_rule3_3_slowElectedOnAPoolBeforeRevoked", "3.3");
  }

  /** The kit's {@code required_rule1_5_connectionLostWhileCreateAnswerInFlight} fails a blind create retry. */
  @Test
  void rule1_5_shouldFailBy_aCreateRetriedBlindlyAfterItsAnswerWasLost() {
    assertFails(Variant.CREATE_RETRIED_WHEN_ANSWER_LOST, ElectionTck.Adversarial.class,
        "required_rule1_5_connectionLostWhileCreateAnswerInFlight", "1.5");
  }

  /**
   * The kit's {@code required_rule1_1_leaderHeldUpByItsDirectCallback} fails a backend on the engine's loop whose
   * validity is a flag only that loop updates. No other rule of the kit does: the loop never stalls in them.
   */
  @Test
  void rule1_1_shouldFailBy_aValidityOnlyTheLoopUpdates() {
    assertFails(Variant.VALID_WHILE_LOOP_STALLS, ElectionTck.HeldUp.class,
        "required_rule1_1_leaderHeldUpByItsDirectCallback", "1.1");
  }

  /** The kit's {@code required_rule1_3_slowAnswersThenRequestsCut} fails a deadline counted from the answer. */
  @Test
  void rule1_3_shouldFailBy_aDeadlineCountedFromTheAnswer() {
    assertFails(Variant.DEADLINE_FROM_ANSWER, ElectionTck.Adversarial.class,
        "required_rule1_3_slowAnswersThenRequestsCut", "1.3");
  }

  /**
   * The kit's {@code required_rule2_2_manyCandidatesOfOneClientLeadInLineOrder} fails a misordered shared read: by
   * rule 2.2 (the wrong one leads), when the misordered read reaches two waiters at once by rule 1.1 (both
   * believe they are first), or by rule 1.2 (the one passed over leads next, with the older token), whichever the
   * run shows first.
   */
  @Test
  void rule2_2_shouldFailBy_aLineMisorderedWithinOneSession() {
    assertFails(Variant.LINE_MISORDERED_IN_SESSION, ElectionTck.Adversarial.class,
        "required_rule2_2_manyCandidatesOfOneClientLeadInLineOrder", "2.2", "1.1", "1.2");
  }

  /**
   * The kit's {@code required_rule1_2_tokensSurviveElectionDeletion} fails tokens counted inside the election
   * (it needs the in-memory fixture's OPERATOR capability: deleteElection).
   */
  @Test
  void rule1_2_shouldFailBy_tokensThatStartAgainWhenTheElectionIsDeleted() {
    assertFails(Variant.TOKENS_RESET_WITH_ELECTION, ElectionTck.Adversarial.class,
        "required_rule1_2_tokensSurviveElectionDeletion", "1.2");
  }

  // ---------------------------------------------------------------- operator actions, engine threads, large lines, foreign entries

  /** The kit's {@code required_rule1_1_operatorDeletesTheLeadersTicket} fails a leader that outlives its ticket. */
  @Test
  void rule1_1_shouldFailBy_aTermThatOutlivesItsDeletedTicket() {
    assertFails(Variant.TERM_OUTLIVES_DELETED_TICKET, ElectionTck.Safety.class,
        "required_rule1_1_operatorDeletesTheLeadersTicket", "1.1");
  }

  /** The kit's {@code required_rule1_6_termEndedWhenCloseReturnsWhileApplicationCodeBlocks} fails an early close. */
  @Test
  void rule1_6_shouldFailBy_aCloseThatReturnsBeforeTheTermEnds() {
    assertFails(Variant.CLOSE_RETURNS_EARLY, ElectionTck.Safety.class,
        "required_rule1_6_termEndedWhenCloseReturnsWhileApplicationCodeBlocks", "1.6");
  }

  /** The kit's {@code required_rule3_2_noApplicationCodeOnElectorOrBackendThreads} fails stages on Elector's thread. */
  @Test
  void rule3_2_shouldFailBy_stagesCompletedOnAnEngineThread() {
    assertFails(Variant.STAGES_ON_ENGINE_THREAD, ElectionTck.Events.class,
        "required_rule3_2_noApplicationCodeOnElectorOrBackendThreads", "3.2");
  }

  /** The kit's {@code required_rule4_6_maximumSizeDataWithObservers} fails reads that break on a large line. */
  @Test
  void rule4_6_shouldFailBy_readsThatFailOnALargeLine() {
    assertFails(Variant.LARGE_LINE_FAILS, ElectionTck.Lifecycle.class,
        "required_rule4_6_maximumSizeDataWithObservers", "4.6");
  }

  /** The kit's {@code required_rule4_8_foreignEntriesNeverBlockNorShow} fails a foreign entry taken for a ticket. */
  @Test
  void rule4_8_shouldFailBy_aForeignEntryInLine() {
    assertFails(Variant.FOREIGN_ENTRY_IN_LINE, ElectionTck.Lifecycle.class,
        "required_rule4_8_foreignEntriesNeverBlockNorShow", "4.8");
  }

  /** The kit's {@code required_rule4_8_nestedRootsNeverShareALine} fails nested roots that share one line. */
  @Test
  void rule4_8_shouldFailBy_nestedRootsSharingALine() {
    assertFails(Variant.NESTED_ROOTS_SHARE_A_LINE, ElectionTck.Lifecycle.class,
        "required_rule4_8_nestedRootsNeverShareALine", "4.8");
  }
}
