package dev.elector.micrometer;

import dev.elector.Candidate;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Subscription;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for Elector, without Spring: bind each client, candidate and observed election of interest.
 *
 * <pre>{@code
 * ElectorMetrics metrics = ElectorMetrics.builder(registry).build();
 * metrics.bind(client);                                   // elector.session.*
 * metrics.bind(candidate);                                // elector.leader, elector.terms.*, elector.term.duration, elector.handoff
 * metrics.observe(client.election("reports"));            // elector.election.*
 * }</pre>
 *
 * <p>Every meter carries the tag {@code election} (except the session meters) plus the common tags given to the
 * builder. The candidate's id becomes the tag {@code candidate} only with {@link Builder#candidateIdTags(boolean)}:
 * ids are often per process or per pod, and each new one is a new time series. Without it, the candidates of one
 * election bound in this process share their meters, and {@code elector.leader} counts how many of them lead.
 *
 * <p>Meter listeners run on a direct executor: they only update meters and never block. Thread-safe.
 */
public final class ElectorMetrics {
  /** Gauge: how many bound candidates of the election lead now (0 or 1 per candidate tag). */
  public static final String LEADER = "elector.leader";
  /** Counter: terms started by bound candidates. */
  public static final String TERMS_STARTED = "elector.terms.started";
  /** Counter: terms ended, tagged {@code reason} (an {@link dev.elector.EndReason}, lowercase). */
  public static final String TERMS_ENDED = "elector.terms.ended";
  /** Timer: how long terms lasted, tagged {@code reason}. */
  public static final String TERM_DURATION = "elector.term.duration";
  /** Timer: from the predecessor's end (seen in this process) to the start of a bound candidate's term. */
  public static final String HANDOFF = "elector.handoff";
  /** Gauge: 1 while the observed election has a leader, else 0. */
  public static final String ELECTION_LEADER_PRESENT = "elector.election.leader.present";
  /** Counter: leader changes the observer saw ("no leader" included). */
  public static final String ELECTION_LEADER_CHANGES = "elector.election.leader.changes";
  /** Timer: each completed period without a leader, as the observer saw it. */
  public static final String ELECTION_LEADERLESS = "elector.election.leaderless";
  /** Time gauge: how long the observed election has been without a leader now (0 while it has one). */
  public static final String ELECTION_LEADERLESS_CURRENT = "elector.election.leaderless.current";
  /** Gauge per {@code state} tag: 1 for the client's session state now, 0 for the others. */
  public static final String SESSION_STATE = "elector.session.state";
  /** Counter: times the session was suspended (contact lost). */
  public static final String SESSION_SUSPENSIONS = "elector.session.suspensions";
  /** Counter: times the session expired. */
  public static final String SESSION_EXPIRATIONS = "elector.session.expirations";

  final MeterRegistry registry;
  final Tags commonTags;
  final boolean candidateIdTags;
  final Handoffs handoffs = new Handoffs();
  /** Per gauge identity: the objects it aggregates; the gauge is removed when the last is unbound. */
  private final Map<Object, Set<Object>> gaugeMembers = new ConcurrentHashMap<>();

  private ElectorMetrics(Builder b) {
    this.registry = b.registry;
    this.commonTags = b.tags;
    this.candidateIdTags = b.candidateIdTags;
  }

  public static Builder builder(MeterRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /** Session meters of {@code client}; {@code extraTags} tell several clients of one process apart. */
  public Subscription bind(ElectionClient client, Tag... extraTags) {
    return new SessionMeters(this, client, commonTags.and(extraTags)).start();
  }

  /** Leadership meters of {@code candidate}, until the subscription is cancelled. */
  public Subscription bind(Candidate candidate) {
    return new CandidateMeters(this, candidate).start();
  }

  /** Observer meters of {@code election}: leader present, changes, periods without a leader. */
  public Subscription observe(Election election) {
    return new ElectionMeters(this, election).start();
  }

  Tags electionTags(String election) {
    return commonTags.and("election", election);
  }

  /**
   * Registers (once per name and tags) a gauge whose value is {@code f} applied to every member bound to it, and
   * adds {@code member}. Returns the action that removes the member, and the gauge with the last.
   */
  <T> Runnable sharedGauge(String name, Tags tags, String description, T member, ToDoubleFunction<Set<T>> f) {
    Object key = java.util.List.of(name, tags);
    @SuppressWarnings("unchecked")
    Set<T> members = (Set<T>) gaugeMembers.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
    members.add(member);
    Gauge gauge = Gauge.builder(name, members, f).tags(tags).description(description).strongReference(true)
        .register(registry);
    return () -> {
      members.remove(member);
      if (members.isEmpty() && gaugeMembers.remove(key, members)) {
        registry.remove(gauge);
      }
    };
  }

  /** Builds {@link ElectorMetrics}. */
  public static final class Builder {
    private final MeterRegistry registry;
    private Tags tags = Tags.empty();
    private boolean candidateIdTags;

    private Builder(MeterRegistry registry) {
      this.registry = registry;
    }

    /** Tags added to every meter (for example the application's name). */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = this.tags.and(tags);
      return this;
    }

    /**
     * Whether the candidate's id is a tag ({@code candidate}) of the candidate meters. Off by default: each id is a
     * new time series, and ids are often per process.
     */
    public Builder candidateIdTags(boolean on) {
      this.candidateIdTags = on;
      return this;
    }

    public ElectorMetrics build() {
      return new ElectorMetrics(this);
    }
  }
}
