package dev.elector.spring;

import dev.elector.Candidate;
import dev.elector.EndReason;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.springframework.context.ApplicationEvent;

/**
 * One run of {@link ElectorCandidate}, from a start to the end of the stop that follows: the candidate, its
 * whole-term work, the bindings attached to it, and the listener that publishes its events.
 *
 * <p>{@link #stopped()} completes once the candidate has left and the revoked event of its last term has been
 * published. Why that is known: when the candidate's close completes, its last {@code revoked} is queued (SPEC rule
 * 1.6) behind that term's {@code elected}, and the listener's queue has already been handed to the events executor (a
 * queued {@code revoked} starts it). So the check that {@link #stop} submits to that single-thread executor then runs
 * after that {@code elected} was published; if a term is open at that point, its {@code revoked} is still to come,
 * and {@link #stopped()} waits for it. The listener's state is confined to the events thread.
 */
final class CandidateRun implements LeadershipListener {
  private final Consumer<ApplicationEvent> publisher;
  private final ElectorCandidate source;
  private final List<Subscription> bound = new ArrayList<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private Candidate candidate;
  private LeaderWork work;
  /** Events thread only: a term was granted and not yet revoked. */
  private boolean inTerm;
  /** Events thread only: the stop's check found a term open; its revoked completes {@link #stopped}. */
  private boolean stopOnRevoked;

  CandidateRun(ElectorCandidate source, Consumer<ApplicationEvent> publisher) {
    this.source = source;
    this.publisher = publisher;
  }

  /** Called once, after the candidate joined with this run as its listener. */
  void attach(Candidate joined, List<CandidateBinding> bindings, LeaderWork.Builder work) {
    candidate = joined;
    bindings.forEach(b -> bound.add(b.bind(joined)));
    this.work = work == null ? null : work.start();
  }

  Candidate candidate() {
    return candidate;
  }

  LeaderWork work() {
    return work;
  }

  /**
   * Leaves (through the work, if any: its close waits for the whole-term tasks) and then completes
   * {@link #stopped()} on {@code events} once the last term's revoked event is out.
   */
  void stop(Executor events) {
    CompletionStage<Void> closed = work == null ? candidate.closeAsync() : work.closeAsync();
    closed.whenComplete((v, x) -> events.execute(() -> {
      if (inTerm) {
        stopOnRevoked = true;
      } else {
        stopped.complete(null);
      }
    }));
  }

  /** Completes once the candidate has left and its last revoked event has been published. */
  CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Detaches the bindings; idempotent. */
  synchronized void unbind() {
    bound.forEach(Subscription::cancel);
    bound.clear();
  }

  @Override
  public void elected(Leadership term) {
    inTerm = true;
    publisher.accept(new LeadershipGrantedEvent(source, term));
  }

  @Override
  public void revoked(Leadership term, EndReason reason) {
    inTerm = false;
    try {
      publisher.accept(new LeadershipRevokedEvent(source, term, reason));
    } finally {
      if (stopOnRevoked) {
        stopOnRevoked = false;
        stopped.complete(null);
      }
    }
  }
}
