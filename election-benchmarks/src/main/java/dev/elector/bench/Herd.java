package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Herd: a thousand candidates in one election; per handoff, how many watch notifications the ZooKeeper server
 * sends, counted by the server itself ({@link WatchCounter}), split into those to other sessions (candidates woken)
 * and those to the leaving leader's own session.
 *
 * <p>ZooKeeper sends one notification per session and path, so a herd inside one session would look like one
 * wake-up. The candidates are therefore spread over many sessions and joined in round-robin waves,
 * so neighbours in the line rarely share a session: a candidate watching more than its predecessor shows up.
 */
final class Herd {
  static final String OTHERS = "herd: watch events to others per handoff";
  static final String SELF = "herd: watch events to the leaver per handoff";
  private static final Duration SETTLE = Duration.ofMillis(30);

  private Herd() {}

  static void run(Results res, Contender c, int candidates, int sessionsN, int handoffs, Duration budget) {
    String scenario = OTHERS + " (" + candidates + " candidates, " + sessionsN + " sessions)";
    String selfScenario = SELF + " (" + candidates + " candidates, " + sessionsN + " sessions)";
    LongList others = new LongList();
    LongList self = new LongList();
    String note = "";
    List<Session> sessions = new ArrayList<>();
    Budget b = Budget.of(budget);
    String election = "herd-" + System.nanoTime();
    LinkedBlockingQueue<Handoff.Event> events = new LinkedBlockingQueue<>();
    try {
      for (int i = 0; i < sessionsN; i++) {
        sessions.add(c.session());
      }
      // Joined in waves of one candidate per session: inside a wave every neighbour is on another session; the rare
      // same-session pair at a wave's edge is detected below and that handoff is not counted.
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < candidates && b.left(); i += sessionsN) {
        List<Member> wave = new ArrayList<>();
        for (int j = i; j < Math.min(candidates, i + sessionsN); j++) {
          Member m = sessions.get(j % sessionsN).join(election, "h" + j, (mm, t) -> events.add(new Handoff.Event(mm, t)));
          wave.add(m);
        }
        members.addAll(wave);
        if (!Budget.await(Handoff.WAIT_JOIN, () -> wave.stream().allMatch(Member::joined))) {
          throw new IllegalStateException("a wave of joins did not complete within " + Handoff.WAIT_JOIN);
        }
      }
      if (members.size() < candidates) {
        throw new IllegalStateException("budget reached while joining: " + members.size() + " of " + candidates);
      }
      Member leader = Handoff.nextOther(events, null).member();
      int sameSession = 0;
      Handoff.awaitLine(c, election, candidates);
      Thread.sleep(SETTLE.toMillis());
      for (int h = 0; h < handoffs && b.left(); h++) {
        int idx = members.indexOf(leader);
        Session leaderSession = sessions.get(idx % sessionsN);
        WatchCounter.reset(leaderSession.sessionId());
        leader.close();
        Member next = Handoff.nextOther(events, leader).member();
        // Every notification of the delete is sent in the same server transaction, before the successor hears;
        // the pause catches any a second wave (a re-listing) would set off.
        Thread.sleep(SETTLE.toMillis());
        if (members.indexOf(next) % sessionsN != idx % sessionsN) {
          others.add(WatchCounter.toOthers.sum());
          self.add(WatchCounter.toExcluded.sum());
        } else {
          sameSession++;
        }
        leader = next;
      }
      if (others.size() + sameSession < handoffs) {
        note = "budget reached after " + (others.size() + sameSession) + " of " + handoffs;
      }
      if (sameSession > 0) {
        note = (note + " " + sameSession + " handoff(s) between candidates of one session not counted").trim();
      }
    } catch (Exception e) {
      note = "failed after " + others.size() + ": " + Failover.rootCause(e);
      if (System.getProperty("bench.debug") != null) {
        e.printStackTrace();
      }
    } finally {
      WatchCounter.reset(0);
      Scale.closeAll(sessions);
    }
    res.add(scenario, c.name(), c.elector(), Unit.COUNT, others.toArray(), note);
    res.add(selfScenario, c.name(), c.elector(), Unit.COUNT, self.toArray(), note);
  }
}
