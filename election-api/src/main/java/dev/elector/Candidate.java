package dev.elector;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * One participant in one election. It joins the line when built, leads when its turn comes, and stays in the
 * election, through resigns, suspensions and session expiries, until {@link #close()}.
 *
 * <p>Asynchronous methods never block and report failure by completing their stage exceptionally with an
 * {@link ElectorException}; blocking methods always take a timeout. Once the candidate is closed, by
 * {@link #close()}, by its client's close, or because the backend refused it for good (an
 * {@link AccessDeniedException}), every stage fails with {@link ClosedException} (or that refusal) (SPEC rule 4.1).
 * A null argument throws {@link NullPointerException} at once; bad input throws {@link InvalidInputException} at
 * once, before any I/O (SPEC rule 4.3).
 */
public interface Candidate extends AutoCloseable {
  /** The candidate's id, as given to {@link Election#candidate(String)}. */
  String id();

  /** The election's name. */
  String election();

  /** The candidate's state now. */
  CandidateState state();

  /** True if the candidate holds a term that is valid at this instant (see {@link Leadership#isValid()}). */
  boolean isLeader();

  /** The current term if one is valid at this instant. */
  Optional<Leadership> leadership();

  /**
   * A stage that completes when the candidate's ticket is in line: at once if it is now, otherwise when its next
   * ticket is (after {@link Election#join}, a {@link #resign()} or a rejoin). From then until the ticket leaves the
   * line again (a resign, a lost ticket, an expired session), {@link Election#participants()} read through the
   * same client lists the candidate. This is the stage to wait on instead of polling {@code participants()}, for
   * example to start the next candidate only once this one is queued ahead of it. It reflects what the client
   * knows: a ticket the service removed while the client was cut off (an expired session) counts until the client
   * hears of it; a call made after that waits for the replacement ticket.
   *
   * @return a stage completing with {@code null}; exceptionally with {@link ClosedException} (or the backend's
   *     refusal, an {@link AccessDeniedException}) if the candidate is closed first
   */
  CompletionStage<Void> joined();

  /**
   * A stage that completes with the current term if the candidate leads now, otherwise with the next term it
   * gets. Completes exceptionally with {@link ClosedException} (or the backend's refusal, an
   * {@link AccessDeniedException}) if the candidate is closed first (SPEC rule 3.4).
   *
   * @return a stage completing with the term
   */
  CompletionStage<Leadership> elected();

  /**
   * Waits until the candidate leads.
   *
   * @param timeout how long to wait: positive, at most 365 days
   * @return the term
   * @throws NullPointerException if {@code timeout} is null
   * @throws InvalidInputException if {@code timeout} is not positive or too long
   * @throws ElectorTimeoutException if it does not lead within {@code timeout}
   * @throws ClosedException if the candidate is closed first ({@link AccessDeniedException} if the backend refused
   *     it)
   * @throws InterruptedException if the thread is interrupted
   */
  Leadership awaitLeadership(Duration timeout) throws InterruptedException;

  /**
   * Ends the current term, if any, and moves the candidate to the back of the line (SPEC rule 2.6). The stage
   * completes when the old ticket is gone and the term (if there was one) has ended; {@code revoked} has been
   * queued for delivery by then (SPEC rule 1.6). A removal the backend cannot do yet (the session is suspended) is
   * retried until it succeeds or the session expires; the stage waits for it. Use {@link #joined()} to learn when the
   * new ticket is in line.
   *
   * @return a stage completing with {@code null}; exceptionally with {@link ClosedException} (or the backend's
   *     refusal, an {@link AccessDeniedException}) if the candidate is closed before the resign is done
   */
  CompletionStage<Void> resign();

  /** The candidate's application data (a copy). */
  byte[] data();

  /**
   * Replaces the candidate's data as seen by {@link Election#participants()}, {@link Election#leader()} and
   * observers (SPEC rule 4.6), checked against {@link ClientConfig#maxDataBytes()} before any I/O (SPEC rule 4.3).
   * The candidate's next ticket carries the new data whatever the outcome; a candidate not in line right now
   * completes at once.
   *
   * @param data the new data (copied)
   * @return a stage completing when the ticket in line carries the data; exceptionally with
   *     {@link ClosedException} if the candidate is closed, or with the backend's failure as an
   *     {@link ElectorException} (for example {@link SessionLostException} while the session is suspended, or
   *     {@link AccessDeniedException})
   * @throws NullPointerException if {@code data} is null
   * @throws InvalidInputException if {@code data} is longer than {@link ClientConfig#maxDataBytes()}
   */
  CompletionStage<Void> updateData(byte[] data);

  /**
   * Registers a listener for this candidate's terms. If the candidate leads when the registration takes effect,
   * the listener's first call is {@code elected} for the current term. Callbacks run on {@code executor}, one at a
   * time, in order (SPEC rules 3.1–3.3).
   *
   * @param executor where the listener's callbacks run
   * @param listener the listener
   * @return the registration, to cancel it
   * @throws NullPointerException if {@code executor} or {@code listener} is null
   * @throws ClosedException if the candidate is closed ({@link AccessDeniedException} if the backend refused it)
   */
  Subscription addListener(Executor executor, LeadershipListener listener);

  /**
   * Leaves the election for good: ends the current term and removes the ticket, so a successor is elected without
   * waiting for a session timeout (SPEC rule 2.2). Idempotent. The stage completes when the ticket is removed (or
   * is known gone with the session). Never completes exceptionally.
   *
   * @return a stage completing with {@code null}
   */
  CompletionStage<Void> closeAsync();

  /** {@link #closeAsync()}, waiting at most the client's operation timeout. Never throws for a second call. */
  @Override
  void close();

  /** Builds and starts a candidate. */
  interface Builder {
    /**
     * Application data for the ticket.
     *
     * @param data the data (copied); at most {@link ClientConfig#maxDataBytes()} bytes
     * @return this builder
     * @throws NullPointerException if {@code data} is null
     * @throws InvalidInputException if it is too long
     */
    Builder data(byte[] data);

    /**
     * Application data as UTF-8.
     *
     * @param data the data
     * @return this builder
     * @throws NullPointerException if {@code data} is null
     * @throws InvalidInputException if its UTF-8 form is too long
     */
    Builder data(String data);

    /**
     * A listener registered before the candidate joins, so it cannot miss the first term.
     *
     * @param executor where the listener's callbacks run
     * @param listener the listener
     * @return this builder
     * @throws NullPointerException if {@code executor} or {@code listener} is null
     */
    Builder listener(Executor executor, LeadershipListener listener);

    /**
     * Starts the candidate: it joins the line in the background and this returns at once, without waiting for
     * I/O. Wait with {@link Candidate#joined()} for the ticket to be in line, with {@link Candidate#elected()} or
     * {@link Candidate#awaitLeadership} for a term.
     *
     * @return the candidate, {@link CandidateState#JOINING} until its ticket is in line
     * @throws ClosedException if the client is closed
     */
    Candidate join();
  }
}
