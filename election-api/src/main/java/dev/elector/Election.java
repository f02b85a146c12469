package dev.elector;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A handle on one named election reached through one client. Cheap; holds no resources of its own. */
public interface Election {
  /** The election's name. */
  String name();

  /**
   * Starts building a candidate with the given id. Ids need not be unique, but a unique id per process makes
   * histories readable.
   *
   * @throws InvalidInputException if the id breaks the rules of SPEC rule 4.3
   */
  Candidate.Builder candidate(String candidateId);

  /** Joins a candidate with no data and no listener. */
  default Candidate join(String candidateId) {
    return candidate(candidateId).join();
  }

  /** The head of the line now, or empty. */
  CompletionStage<Optional<Participant>> leader();

  /** The line now, in order: the first is the leader (SPEC rule 5.5). */
  CompletionStage<List<Participant>> participants();

  /** Observes the leader: the current one first, then every change, "no leader" included (SPEC rules 5.1–5.4). */
  Subscription observe(Executor executor, LeaderObserver observer);
}
