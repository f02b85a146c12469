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
 * {@link ElectorException}; blocking methods always take a timeout.
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
   * A stage that completes once this candidate's first ticket is in line: from then on it holds its place, and
   * {@link Election#participants()} lists it. {@code join()} returns at once; this is how to wait for the join to
   * reach the service. Completes on Elector's callback pool, exceptionally with {@link ClosedException} if the
   * candidate is closed first, or with the backend's refusal (for example {@link AccessDeniedException}) if the
   * service refused it for good. Later tickets (after a resign or a lost session) do not complete it again.
   */
  CompletionStage<Void> joined();

  /**
   * A stage that completes with the current term if the candidate leads now, otherwise with the next term it
   * gets. Completes exceptionally with {@link ClosedException} if the candidate is closed first.
   */
  CompletionStage<Leadership> elected();

  /**
   * Waits until the candidate leads.
   *
   * @throws ElectorTimeoutException if it does not lead within {@code timeout}
   * @throws ClosedException if the candidate is closed first
   * @throws InterruptedException if the thread is interrupted
   */
  Leadership awaitLeadership(Duration timeout) throws InterruptedException;

  /**
   * Ends the current term, if any, and moves the candidate to the back of the line (SPEC rule 2.6). The stage
   * completes when the old ticket is gone and the term (if there was one) has ended; {@code revoked} has been
   * queued for delivery by then.
   */
  CompletionStage<Void> resign();

  /** The candidate's application data. */
  byte[] data();

  /**
   * Replaces the candidate's data, validated against the configured limit before any I/O (SPEC rule 4.6).
   */
  CompletionStage<Void> updateData(byte[] data);

  /**
   * Registers a listener for this candidate's terms. If the candidate leads when the registration takes effect,
   * the listener's first call is {@code elected} for the current term.
   */
  Subscription addListener(Executor executor, LeadershipListener listener);

  /**
   * Leaves the election for good: ends the current term and removes the ticket, so a successor is elected without
   * waiting for a session timeout (SPEC rule 2.2). Idempotent. The stage completes when the ticket is removed (or
   * is known gone with the session).
   */
  CompletionStage<Void> closeAsync();

  /** {@link #closeAsync()}, waiting at most the client's operation timeout. Never throws for a second call. */
  @Override
  void close();

  /** Builds and starts a candidate. */
  interface Builder {
    /** Application data for the ticket; at most {@link ClientConfig#maxDataBytes()} bytes. */
    Builder data(byte[] data);

    /** Application data as UTF-8. */
    Builder data(String data);

    /** A listener registered before the candidate joins, so it cannot miss the first term. */
    Builder listener(Executor executor, LeadershipListener listener);

    /** Validates, then joins the line asynchronously; returns at once. */
    Candidate join();
  }
}
