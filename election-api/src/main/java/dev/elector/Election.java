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
   * @param candidateId the candidate's id
   * @return a builder; {@link Candidate.Builder#join()} starts the candidate
   * @throws NullPointerException if {@code candidateId} is null
   * @throws InvalidInputException if the id breaks the rules of SPEC rule 4.3 (see {@link InputRules})
   * @throws ClosedException if the client is closed
   */
  Candidate.Builder candidate(String candidateId);

  /**
   * Starts a candidate with no data and no listener: {@code candidate(candidateId).join()}. Returns at once; see
   * {@link Candidate#joined()}.
   *
   * @param candidateId the candidate's id
   * @return the candidate
   * @throws NullPointerException if {@code candidateId} is null
   * @throws InvalidInputException if the id breaks the rules of SPEC rule 4.3
   * @throws ClosedException if the client is closed
   */
  default Candidate join(String candidateId) {
    return candidate(candidateId).join();
  }

  /**
   * The head of the line now, or empty: one read of the backend.
   *
   * @return a stage completing with the leader; exceptionally with the backend's failure as an
   *     {@link ElectorException} (for example {@link SessionLostException} while the session is suspended or
   *     expired, {@link AccessDeniedException} without read permission)
   * @throws ClosedException if the client is closed
   */
  CompletionStage<Optional<Participant>> leader();

  /**
   * The line now, in order: the first is the leader (SPEC rule 5.5). One read of the backend.
   *
   * @return a stage completing with the line; fails as {@link #leader()} does
   * @throws ClosedException if the client is closed
   */
  CompletionStage<List<Participant>> participants();

  /**
   * Observes the leader: the current one first, then every change, "no leader" included (SPEC rules 5.1–5.4).
   * Callbacks run on {@code executor}, one at a time, in order.
   *
   * @param executor where the observer's callbacks run
   * @param observer the observer
   * @return the registration; after {@link Subscription#cancel()} returns no callback starts
   * @throws NullPointerException if {@code executor} or {@code observer} is null
   * @throws ClosedException if the client is closed
   */
  Subscription observe(Executor executor, LeaderObserver observer);
}
