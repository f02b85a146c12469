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
 * <p>ZooKeeper ({@link #zookeeper}, on the in-process {@link ZkServer}): the watch notifications its server sends
 * ({@link WatchCounter}), split into those to other sessions (candidates woken) and those to the leaving leader's own
 * session, and the read requests it was sent (every session's). ZooKeeper sends one
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
  static final String OTHERS = "herd: watch events to other sessions per handoff · ZooKeeper";
  static final String SELF = "herd: watch events to the leaver per handoff · ZooKeeper";
  static final String ZK_READS = "herd: reads served per handoff · ZooKeeper";
  static final String ETCD_EVENTS = "herd: watch events sent per handoff, all sessions · etcd";
  static final String ETCD_READS = "herd: reads served per handoff · etcd";
  private static final Duration SETTLE = Duration.ofMillis(30);

  private Herd() {}

  /** A scenario's row name at a size, e.g. "herd: reads served per handoff · etcd (1000 candidates, 50 sessions)". */
  static String name(String scenario, int candidates, int sessions) {
    return scenario + " (" + candidates + " candidates, " + sessions + " sessions)";
  }

  /** Counts what one handoff costs the server: reset before the leader leaves, read once the successor leads. */
  private interface Meter {
    void reset(Session leaderSession) throws Exception;

    /** The figures of the handoff, in the order of the rows. */
    long[] read() throws Exception;
  }

  /** On the in-process server ({@link ZkServer}): notifications counted per receiving session, reads served. */
  static void zookeeper(Results res, Contender c, int candidates, int sessionsN, int handoffs, Duration budget) {
    List<String> rows = List.of(name(OTHERS, candidates, sessionsN), name(SELF, candidates, sessionsN),
        name(ZK_READS, candidates, sessionsN));
    run(res, c, candidates, sessionsN, handoffs, budget, rows, new Meter() {
      long reads;

      @Override
      public void reset(Session leaderSession) {
        WatchCounter.reset(leaderSession.sessionId());
        reads = ZkServer.READS.sum();
      }

      @Override
      public long[] read() {
        return new long[] {WatchCounter.toOthers.sum(), WatchCounter.toExcluded.sum(), ZkServer.READS.sum() - reads};
      }
    });
    WatchCounter.reset(0);
  }

  static void etcd(Results res, Contender c, int port, int candidates, int sessionsN, int handoffs,
      Duration budget) {
    EtcdMetrics metrics = new EtcdMetrics(port);
    List<String> rows = List.of(name(ETCD_EVENTS, candidates, sessionsN), name(ETCD_READS, candidates, sessionsN));
    run(res, c, candidates, sessionsN, handoffs, budget, rows, new Meter() {
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
      List<String> scenarios, Meter meter) {
    List<LongList> figures = new ArrayList<>();
    scenarios.forEach(x -> figures.add(new LongList()));
    LongList others = figures.get(0);
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
          for (int i = 0; i < v.length; i++) {
            figures.get(i).add(v[i]);
          }
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
    for (int i = 0; i < scenarios.size(); i++) {
      res.add(scenarios.get(i), c.name(), c.elector(), Unit.COUNT, figures.get(i).toArray(), note);
    }
  }
}
