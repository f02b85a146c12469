package dev.elector;

import java.util.concurrent.CompletionStage;

/**
 * One term of one candidate as leader of one election.
 *
 * <p>A term is valid from its start until the first of: resign, close, session suspended, session expired,
 * session deadline passed, ticket lost. {@link #isValid()} evaluates this on every call against the session's
 * deadline on the monotonic clock, so a leader that is paused or cut off stops believing it leads even before any
 * event reaches it (SPEC rules 1.3 and 1.4). Check it immediately before each action that must be done by the
 * leader only, and pass {@link #token()} to the resource you act on so it can reject a deposed leader (SPEC rule
 * 1.2).
 */
public interface Leadership {
  /** The election's name. */
  String election();

  /** The id of the candidate holding this term. */
  String candidateId();

  /**
   * The fencing token: larger than the token of every earlier term of this election, on every backend. A candidate
   * that resumes its own term after a connection blip, with no other term between, may keep its token.
   */
  long token();

  /** When the term started, on the {@link System#nanoTime()} clock. */
  long startedNanos();

  /** True while the term lasts; evaluated on every call, never cached. */
  boolean isValid();

  /**
   * The instant, on the {@link System#nanoTime()} clock, before which this term stays valid unless something ends
   * it sooner (a resign, a close, a lost session): the session deadline as of this call (SPEC rule 1.3), which lies
   * before the service can expire the session. Renewals move it on; once the term is no longer valid it lies in the
   * past. Work that runs for a while without checking {@link #isValid()} (a child process, a batch) must be over by
   * then; compare with {@code deadline - System.nanoTime() > 0}, as the clock may wrap.
   */
  long validUntilNanos();

  /** Completes with the reason when the term ends; never completes exceptionally. */
  CompletionStage<EndReason> ended();
}
