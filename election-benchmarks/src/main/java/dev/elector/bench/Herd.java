package dev.elector.bench;

import dev.elector.bench.Contender.Member;
import dev.elector.bench.Contender.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Herd: a thousand candidates in one election; per handoff, what the server sends and serves, counted by the
 * server itself.
 *
 * <p>ZooKeeper ({@link #zookeeper}): the watch notifications its server sends ({@link WatchCounter}), split into
 * those to other sessions (candidates woken) and those to the leaving leader's own session. ZooKeeper sends one
 * notification per session and path, so a herd inside one session would look like one wake-up. The candidates are
 * therefore spread over many sessions and joined in round-robin waves, so neighbours in the line rarely share a
 * session: a candidate watching more than its predecessor shows up.
 *
 * <p>etcd ({@link #etcd}): from the member's metrics, the watch events its store sent to watchers
 * ({@code etcd_debugging_mvcc_events_total}, in-process watchers such as the election service's included) and the
 * range reads it served ({@code etcd_mvcc_range_total}; a transaction of two gets counts two, and so does a compare):
 * a herd of candidates shows up as reads, a watch shared by a session's candidates as one event per session.
 */
final class Herd {
  static final String OTHERS = "herd: watch events to others per handoff";
  static final String SELF = "herd: watch events to the leaver per handoff";
  static final String ETCD_EVENTS = "herd: watch events sent per handoff, all sessions · etcd";
  static final String ETCD_READS = "herd: reads served per handoff · etcd";
  private static final Duration SETTLE = Duration.ofMillis(30);

  private Herd() {}

  /** Counts what one handoff costs the server: reset before the leader leaves, read once the successor leads. */
  private interface Meter {
    void reset(Session leaderSession) throws Exception;

    /** The two figures of the handoff, in the order of the two rows. */
    long[] read() throws Exception;
  }

  static void zookeeper(Results res, Contender c, int candidates, int sessionsN, int handoffs, Duration budget) {
    String size = " (" + candidates + " candidates, " + sessionsN + " sessions)";
    run(res, c, candidates, sessionsN, handoffs, budget, OTHERS + size, SELF + size, new Meter() {
      @Override
      public void reset(Session leaderSession) {
        WatchCounter.reset(leaderSession.sessionId());
      }

      @Override
      public long[] read() {
        return new long[] {WatchCounter.toOthers.sum(), WatchCounter.toExcluded.sum()};
      }
    });
    WatchCounter.reset(0);
  }

  static void etcd(Results res, Contender c, int port, int candidates, int sessionsN, int handoffs,
      Duration budget) {
    String size = " (" + candidates + " candidates, " + sessionsN + " sessions)";
    EtcdMetrics metrics = new EtcdMetrics(port);
    run(res, c, candidates, sessionsN, handoffs, budget, ETCD_EVENTS + size, ETCD_READS + size, new Meter() {
      long events;
      long reads;

      @Override
      public void reset(Session leaderSession) throws Exception {
        events = metrics.read("etcd_debugging_mvcc_events_total");
        reads = metrics.read("etcd_mvcc_range_total");
      }

      @Override
      public long[] read() throws Exception {
        return new long[] {metrics.read("etcd_debugging_mvcc_events_total") - events,
            metrics.read("etcd_mvcc_range_total") - reads};
      }
    });
  }

  private static void run(Results res, Contender c, int candidates, int sessionsN, int handoffs, Duration budget,
      String scenario, String selfScenario, Meter meter) {
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
        meter.reset(leaderSession);
        leader.close();
        Member next = Handoff.nextOther(events, leader).member();
        // Every notification of the delete is sent in the same server transaction, before the successor hears;
        // the pause catches any a second wave (a re-listing) would set off.
        Thread.sleep(SETTLE.toMillis());
        if (members.indexOf(next) % sessionsN != idx % sessionsN) {
          long[] v = meter.read();
          others.add(v[0]);
          self.add(v[1]);
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
      Scale.closeAll(sessions);
    }
    res.add(scenario, c.name(), c.elector(), Unit.COUNT, others.toArray(), note);
    res.add(selfScenario, c.name(), c.elector(), Unit.COUNT, self.toArray(), note);
  }
}
