package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Leadership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * Member faults on a real three-member cluster, every term recorded by {@link History}: kill the member that leads the
 * cluster while candidates hand over in a loop, restart it, kill a follower, then lose quorum (two of three down) and
 * regain it. While quorum is gone every term must turn invalid within one session timeout (rule 1.3: no candidate
 * stays leader past its session deadline); afterwards the election must recover by itself within the session timeout
 * plus 15 s. The history check (no overlap, tokens increasing, callbacks alternating) must pass at the end.
 *
 * <p>A backend's test starts its {@link TckFixture}, calls {@link #run(TckFixture)} with it and closes the
 * cluster afterwards. Failures are {@link AssertionError}s naming the rule.
 */
public final class ClusterFaults {
  /** The size of the cluster the scenario needs. */
  public static final int MEMBERS = 3;

  private static final String ELECTION = "cluster";

  private final TckFixture cluster;
  private final Duration session;
  /** Liveness bound for "a leader again": a session timeout for expiries plus room for a loaded machine. */
  private final Duration recovery;
  private final History history = new History();
  private final List<ElectionClient> clients = new ArrayList<>();
  private final Map<String, Candidate> candidates = new LinkedHashMap<>();
  private HandoffLoop loop;

  private ClusterFaults(TckFixture cluster) {
    this.cluster = cluster;
    this.session = cluster.sessionTimeout();
    this.recovery = TimeScale.apply(session.plusSeconds(15));
  }

  /**
   * Runs the scenario on a started fixture and closes every candidate and client it made; skipped (JUnit
   * assumption, naming what is missing) unless the fixture declares {@link TckFixture.Capability#KILL_MEMBER} on
   * {@value #MEMBERS} members.
   */
  public static void run(TckFixture cluster) throws Exception {
    Assumptions.assumeTrue(cluster.capabilities().contains(TckFixture.Capability.KILL_MEMBER)
        && cluster.members() == MEMBERS, () -> cluster.name() + " does not declare KILL_MEMBER on " + MEMBERS
        + " members (members() is " + cluster.members() + "): the cluster-fault scenario cannot run");
    ClusterFaults scenario = new ClusterFaults(cluster);
    try {
      scenario.run();
    } finally {
      if (scenario.loop != null) {
        scenario.loop.close();
      }
      scenario.candidates.values().forEach(Candidate::close);
      scenario.clients.forEach(ElectionClient::close);
      scenario.history.close();
    }
  }

  private void run() throws Exception {
    ClientConfig config = cluster.config(cluster.endpoints());
    for (int i = 0; i < MEMBERS; i++) {
      clients.add(cluster.connect(config));
    }
    for (int i = 0; i < 4; i++) {
      String label = "c" + i;
      candidates.put(label, clients.get(i % MEMBERS).election(ELECTION).candidate(label)
          .listener(history.callbackExecutor(), history.listener(ELECTION, label)).join());
    }
    awaitValidLeader("initial election");
    loop = new HandoffLoop("cluster-handoff-loop", history, candidates, session);
    loop.enable(true);

    // 1. The cluster's leader dies while candidates are handing over.
    loop.awaitResigns("cluster faults", 3, recovery);
    int clusterLeader = leader("no member reports being the cluster's leader");
    cluster.killMember(clusterLeader);
    double afterLeaderKill = awaitValidLeader("after killing cluster leader member " + clusterLeader);
    loop.awaitResigns("cluster faults", 3, recovery);

    // 2. It comes back with its data.
    cluster.restoreMember(clusterLeader);
    double afterRestart = awaitValidLeader("after restarting member " + clusterLeader);
    loop.awaitResigns("cluster faults", 3, recovery);

    // 3. A follower dies.
    int leaderNow = leader("no cluster leader after restart");
    int follower = (leaderNow + 1) % MEMBERS;
    cluster.killMember(follower);
    double afterFollowerKill = awaitValidLeader("after killing follower member " + follower);
    loop.awaitResigns("cluster faults", 3, recovery);
    cluster.restoreMember(follower);

    // 4. Quorum lost: two of three down. No term may outlive its session deadline, which lies at most one session
    // timeout after the last moment the service could still confirm the session.
    loop.enable(false);
    awaitValidLeader("before quorum loss");
    int a = leader("no cluster leader before quorum loss");
    int b = (a + 1) % MEMBERS;
    cluster.killMember(a);
    long quorumLost = System.nanoTime();
    cluster.killMember(b);
    long allInvalidBy = quorumLost + session.toNanos();
    while (true) {
      // The clock is read before the check: a term seen valid after this instant was valid past the bound even if
      // this thread is descheduled between the two.
      long now = System.nanoTime();
      if (!anyValid()) {
        break;
      }
      if (now - allInvalidBy > 0) {
        fail("rule 1.3: a term was still valid " + session.toMillis()
            + " ms after quorum was lost: " + validTerms());
      }
      Thread.sleep(2);
    }
    double invalidAfterMs = (System.nanoTime() - quorumLost) / 1e6;
    // Stay without quorum past a whole session timeout: the service cannot confirm anyone meanwhile.
    long downUntil = System.nanoTime() + session.toNanos();
    while (System.nanoTime() - downUntil < 0) {
      if (anyValid()) {
        fail("a term valid while the cluster has no quorum: " + validTerms());
      }
      Thread.sleep(5);
    }
    cluster.restoreMember(a);
    long regained = System.nanoTime();
    double recoveryMs = awaitValidLeader("after quorum regained", regained);
    cluster.restoreMember(b);
    loop.enable(true);
    loop.awaitResigns("cluster faults", 3, recovery);

    loop.close();
    for (var e : candidates.entrySet()) {
      history.close(e.getKey(), e.getValue());
    }
    candidates.clear();
    history.awaitQuiescence(TimeScale.apply(Duration.ofSeconds(10)));
    List<History.TermRecord> terms = history.terms();
    long overlaps = history.violations().stream().filter(v -> v.startsWith("rule 1.1")).count();
    System.out.printf("%s faults: %d terms checked, %d resigns, overlaps=%d; leader again %.0f ms "
            + "after killing the cluster leader, %.0f ms after its restart, %.0f ms after killing a follower; "
            + "quorum lost: all terms invalid after %.0f ms (session %d ms); recovery after quorum regained: %.0f ms%n",
        cluster.name(), terms.size(), loop.resigns(), overlaps, afterLeaderKill, afterRestart, afterFollowerKill,
        invalidAfterMs, session.toMillis(), recoveryMs);
    history.assertValid();
    if (terms.size() <= 10) {
      fail("expected more than 10 terms, got " + terms.size() + ": " + terms);
    }
  }

  private int leader(String otherwise) {
    return cluster.leaderMember().orElseThrow(() -> new AssertionError(otherwise));
  }

  private double awaitValidLeader(String when) throws InterruptedException {
    return awaitValidLeader(when, System.nanoTime());
  }

  /** Waits for a valid term; returns the milliseconds since {@code from}. */
  private double awaitValidLeader(String when, long from) throws InterruptedException {
    long end = from + recovery.toNanos();
    while (!anyValid()) {
      if (System.nanoTime() - end > 0) {
        fail(
            "rule 2.5: no valid leader within " + recovery + " " + when + "; terms: " + history.terms());
      }
      Thread.sleep(5);
    }
    return (System.nanoTime() - from) / 1e6;
  }

  private boolean anyValid() {
    return candidates.values().stream().anyMatch(c -> c.leadership().map(Leadership::isValid).orElse(false));
  }

  private List<String> validTerms() {
    return candidates.values().stream().flatMap(c -> c.leadership().stream()).filter(Leadership::isValid)
        .map(l -> l.candidateId() + " token=" + l.token()).toList();
  }
}
