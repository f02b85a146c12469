package dev.elector.spring;

import dev.elector.Candidate;
import dev.elector.Subscription;

/**
 * Something attached to the {@link ElectorCandidate}'s candidate each time the context starts it (meters,
 * {@link dev.elector.LeaderWork} listeners), and detached once the candidate has left, after its last term ended.
 * Declare beans of this type.
 */
@FunctionalInterface
public interface CandidateBinding {
  /** Attaches to {@code candidate}, which has just started joining; the subscription detaches. */
  Subscription bind(Candidate candidate);
}
