package dev.elector.micrometer;

import dev.elector.Election;
import dev.elector.Participant;
import dev.elector.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one observed election: what an observer sees of its leader. Invariant: {@code leaderlessSince} is 0
 * exactly while the observer last saw a leader (or has seen nothing yet).
 */
final class ElectionMeters {
  private final ElectorMetrics m;
  private final Election election;
  private final Tags tags;
  private final Counter changes;
  private final Timer leaderless;
  private volatile boolean seen;
  private volatile Participant leader;
  private volatile long leaderlessSince;

  ElectionMeters(ElectorMetrics m, Election election) {
    this.m = m;
    this.election = election;
    this.tags = m.electionTags(election.name());
    this.changes = Counter.builder(ElectorMetrics.ELECTION_LEADER_CHANGES).tags(tags)
        .description("Leader changes seen by the observer, 'no leader' included").register(m.registry);
    this.leaderless = Timer.builder(ElectorMetrics.ELECTION_LEADERLESS).tags(tags)
        .description("Completed periods without a leader, as the observer saw them").register(m.registry);
  }

  Subscription start() {
    Runnable present = m.sharedGauge(ElectorMetrics.ELECTION_LEADER_PRESENT, tags,
        "1 while the observed election has a leader", this, set -> set.stream().anyMatch(e -> e.leader != null) ? 1 : 0);
    TimeGauge current = TimeGauge.builder(ElectorMetrics.ELECTION_LEADERLESS_CURRENT, this, TimeUnit.NANOSECONDS,
            e -> e.leaderlessSince == 0 ? 0 : System.nanoTime() - e.leaderlessSince)
        .tags(tags).description("How long the observed election has been without a leader now").strongReference(true)
        .register(m.registry);
    Subscription s = election.observe(Runnable::run, this::leaderChanged);
    return () -> {
      s.cancel();
      present.run();
      m.registry.remove(current);
    };
  }

  private synchronized void leaderChanged(Optional<Participant> next) {
    long now = System.nanoTime();
    Participant before = leader;
    if (seen) {
      changes.increment();
      if (before != null && next.map(p -> p.token() != before.token()).orElse(true)) {
        m.handoffs.ended(election.name(), before.token(), now);
      }
    }
    seen = true;
    leader = next.orElse(null);
    next.ifPresent(p -> m.handoffs.led(election.name(), p.token()));
    if (next.isEmpty()) {
      if (leaderlessSince == 0) {
        leaderlessSince = Math.max(1, now);
      }
    } else if (leaderlessSince != 0) {
      leaderless.record(now - leaderlessSince, TimeUnit.NANOSECONDS);
      leaderlessSince = 0;
    }
  }
}
