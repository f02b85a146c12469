package dev.elector.micrometer;

import dev.elector.Candidate;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** The meters of one bound candidate: whether it leads, its terms, their durations and handoffs. */
final class CandidateMeters implements LeadershipListener {
  private final ElectorMetrics m;
  private final Candidate candidate;
  private final Tags tags;
  private final Counter started;
  private final Timer handoff;

  CandidateMeters(ElectorMetrics m, Candidate candidate) {
    this.m = m;
    this.candidate = candidate;
    Tags t = m.electionTags(candidate.election());
    this.tags = m.candidateIdTags ? t.and("candidate", candidate.id()) : t;
    this.started = Counter.builder(ElectorMetrics.TERMS_STARTED).tags(tags)
        .description("Terms started by this process's candidates").register(m.registry);
    this.handoff = Timer.builder(ElectorMetrics.HANDOFF).tags(tags)
        .description("From the end of the predecessor's term, where this process saw it, to the start of this term")
        .register(m.registry);
  }

  Subscription start() {
    Runnable gauge = m.sharedGauge(ElectorMetrics.LEADER, tags, "Candidates of this process that lead now",
        candidate, cs -> cs.stream().filter(Candidate::isLeader).count());
    Subscription s = candidate.addListener(Runnable::run, this);
    return () -> {
      s.cancel();
      gauge.run();
    };
  }

  @Override
  public void elected(Leadership term) {
    started.increment();
    m.handoffs.handoff(term.election(), term.token(), term.startedNanos())
        .ifPresent(nanos -> handoff.record(nanos, TimeUnit.NANOSECONDS));
  }

  @Override
  public void revoked(Leadership term, EndReason reason) {
    long now = System.nanoTime();
    m.handoffs.ended(term.election(), term.token(), now);
    Tags t = tags.and("reason", reason.name().toLowerCase(Locale.ROOT));
    Counter.builder(ElectorMetrics.TERMS_ENDED).tags(t).description("Terms ended, by reason")
        .register(m.registry).increment();
    Timer.builder(ElectorMetrics.TERM_DURATION).tags(t).description("How long terms lasted, by how they ended")
        .register(m.registry).record(now - term.startedNanos(), TimeUnit.NANOSECONDS);
  }
}
