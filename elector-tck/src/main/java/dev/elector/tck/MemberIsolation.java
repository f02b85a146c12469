package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Leadership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * One member cut off from the rest of a three-member cluster while its clients stay connected to it: the
 * member may keep answering its clients until it notices, while the other members, which still form a quorum, expire
 * the sessions they stop hearing from and elect a successor. A leader whose client talks only to the cut-off member
 * must stop being valid before that successor's term begins (rule 1.1).
 *
 * <p>Each round: three clients, one connected only to member X and one to each other member; X's client's candidate
 * leads, the others wait; X is isolated; a successor must be elected on another member (rule 2.5, within the session
 * timeout plus a generous detection allowance); candidates hand over by resigning while X is cut off and after it
 * rejoins; X rejoins and its candidate must be back in line. Rounds alternate X = the member that leads the cluster and
 * X = a follower. Every term is recorded by one {@link History}; at the end the history must be valid (no overlap,
 * tokens increasing, callbacks alternating) and the scenario prints the overlap count and the smallest margin between
 * a term's last valid instant and its successor's start.
 *
 * <p>Rounds: {@value #DEFAULT_ROUNDS} by default (one of each kind), {@code -Delector.isolation.rounds=N} for more. A
 * fixture without {@link TckFixture.Capability#ISOLATE_MEMBER} is skipped (JUnit assumption) naming it.
 */
public final class MemberIsolation {
  /** Rounds by default: the cluster's leader member isolated once, a follower once. */
  public static final int DEFAULT_ROUNDS = 2;
  private static final String ELECTION = "isolation";

  private final TckFixture cluster;
  private final Duration session;
  /** Liveness bound: a session timeout, a member's own detection of the cut (its failure detector), and slack. */
  private final Duration recovery;
  private final History history = new History();
  /** The current round's candidates by label; read by the hand-off loop. */
  private final Map<String, Candidate> candidates = new ConcurrentHashMap<>();
  private final List<ElectionClient> clients = new ArrayList<>();
  /** Per round: the token of X's candidate's term when X was isolated, the term the isolation must end. */
  private final List<Long> isolatedTerms = new ArrayList<>();
  private HandoffLoop loop;

  private MemberIsolation(TckFixture cluster) {
    this.cluster = cluster;
    this.session = cluster.sessionTimeout();
    this.recovery = TimeScale.apply(session.multipliedBy(2).plusSeconds(30));
  }

  /**
   * Runs the scenario on a started fixture and closes every candidate and client it made; skipped (JUnit
   * assumption, naming the capability) unless the fixture declares {@link TckFixture.Capability#ISOLATE_MEMBER} on
   * {@value ClusterFaults#MEMBERS} members.
   */
  public static void run(TckFixture cluster) throws Exception {
    Assumptions.assumeTrue(cluster.capabilities().contains(TckFixture.Capability.ISOLATE_MEMBER)
        && cluster.members() == ClusterFaults.MEMBERS, () -> cluster.name() + " does not declare ISOLATE_MEMBER on "
        + ClusterFaults.MEMBERS + " members: the member-isolation scenario cannot run");
    MemberIsolation scenario = new MemberIsolation(cluster);
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
    int rounds = Integer.getInteger("elector.isolation.rounds", DEFAULT_ROUNDS);
    loop = new HandoffLoop("isolation-handoff-loop", history, candidates, session);
    for (int r = 0; r < rounds; r++) {
      boolean leaderMember = r % 2 == 0;
      String noLeader = "round " + r + ": no member reports being the cluster's leader";
      int clusterLeader = cluster.leaderMember().orElseThrow(() -> new AssertionError(noLeader));
      int x = leaderMember ? clusterLeader : (clusterLeader + 1) % ClusterFaults.MEMBERS;
      round(r, x, leaderMember);
    }
    loop.close();
    history.awaitQuiescence(TimeScale.apply(Duration.ofSeconds(10)));
    report();
    history.assertValid();
  }

  private void round(int r, int x, boolean leaderMember) throws Exception {
    ClientConfig all = cluster.config(cluster.endpoints());
    List<String> endpoints = all.endpoints();
    String labelX = "r" + r + "-x" + x;
    ElectionClient onX = connect(all.toBuilder().endpoints(List.of(endpoints.get(x))).build());
    Candidate cx = join(onX, labelX);
    await("round " + r + ": " + labelX + " leads", recovery, cx::isLeader);
    Leadership held = cx.leadership().orElseThrow();
    for (int k = 1; k < ClusterFaults.MEMBERS; k++) {
      int member = (x + k) % ClusterFaults.MEMBERS;
      ElectionClient c = connect(all.toBuilder().endpoints(List.of(endpoints.get(member))).build());
      join(c, "r" + r + "-m" + member);
    }
    isolatedTerms.add(held.token());

    cluster.isolateMember(x);
    long cut = System.nanoTime();
    await("rule 2.5: round " + r + ": a successor on another member after isolating "
        + (leaderMember ? "the cluster's leader member " : "follower member ") + x, recovery,
        () -> candidates.entrySet().stream().anyMatch(e -> !e.getKey().equals(labelX) && e.getValue().isLeader()));
    double successorMs = (System.nanoTime() - cut) / 1e6;
    await("round " + r + ": the isolated leader's term ends", recovery, () -> !held.isValid());
    loop.enable(true);
    loop.awaitResigns("round " + r, 2, recovery);
    cluster.rejoinMember(x);
    // X's candidate is back: in line behind the others or leading again.
    await("rule 2.4: round " + r + ": " + labelX + " back in line after member " + x + " rejoined", recovery,
        () -> cx.leadership().isPresent() || cx.state() == CandidateState.WAITING);
    loop.awaitResigns("round " + r, 2, recovery);
    loop.enable(false);
    System.out.printf("%s isolation round %d: member %d (%s) cut off; successor elected after %.0f ms%n",
        cluster.name(), r, x, leaderMember ? "the cluster's leader" : "a follower", successorMs);
    closeRound();
  }

  private ElectionClient connect(ClientConfig config) {
    ElectionClient c = cluster.connect(config);
    clients.add(c);
    return c;
  }

  private Candidate join(ElectionClient client, String label) {
    Candidate c = client.election(ELECTION).candidate(label)
        .listener(history.callbackExecutor(), history.listener(ELECTION, label)).join();
    candidates.put(label, c);
    return c;
  }

  private void closeRound() {
    for (var e : List.copyOf(candidates.entrySet())) {
      candidates.remove(e.getKey());
      history.close(e.getKey(), e.getValue());
    }
    clients.forEach(ElectionClient::close);
    clients.clear();
  }

  private void report() {
    List<History.TermRecord> terms = new ArrayList<>(history.terms());
    terms.sort(Comparator.comparingDouble(History.TermRecord::startMs));
    long overlaps = history.violations().stream().filter(v -> v.startsWith("rule 1.1")).count();
    double minMargin = Double.POSITIVE_INFINITY;
    double minIsolated = Double.POSITIVE_INFINITY;
    for (int i = 0; i + 1 < terms.size(); i++) {
      History.TermRecord t = terms.get(i);
      double margin = terms.get(i + 1).startMs() - t.lastValidMs();
      if (Double.isNaN(margin)) {
        continue; // a term never seen valid (it ended before the sampler's first look): nothing to compare
      }
      minMargin = Math.min(minMargin, margin);
      if (isolatedTerms.contains(t.token())) {
        minIsolated = Math.min(minIsolated, margin);
      }
    }
    System.out.printf("%s member isolation: %d rounds, %d terms, %d resigns, overlaps=%d; smallest margin between a "
            + "term's last valid instant and its successor's start: %.1f ms overall, %.1f ms after a term held "
            + "on the isolated member (negative = overlap)%n", cluster.name(), isolatedTerms.size(), terms.size(), loop.resigns(),
        overlaps, minMargin, minIsolated);
  }

  private void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        StringBuilder states = new StringBuilder();
        candidates.forEach((label, c) -> states.append(' ').append(label).append('=').append(c.state()));
        fail("timed out after " + timeout + " waiting for " + what + "; candidates:" + states + "; terms: "
            + history.terms());
      }
      Thread.sleep(5);
    }
  }
}
