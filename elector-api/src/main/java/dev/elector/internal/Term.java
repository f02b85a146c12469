package dev.elector.internal;

import dev.elector.EndReason;
import dev.elector.Leadership;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/** One term. Its validity is evaluated on every call against the live session (SPEC rules 1.3, 1.4). */
final class Term implements Leadership {
  private final EngineClient client;
  private final String election;
  private final String candidateId;
  private final long token;
  private final long sessionId;
  private final long startedNanos;
  /** True once the candidate is closing: no term of a closing candidate is valid (SPEC rule 1.6). */
  private final BooleanSupplier closing;
  private volatile EndReason endReason;
  private volatile boolean lapsed;
  /** Completed on the callback pool, so application continuations never run on the engine thread. */
  private final CompletableFuture<EndReason> ended = new CompletableFuture<>();

  Term(EngineClient client, String election, String candidateId, long token, long sessionId,
      BooleanSupplier closing) {
    this.client = client;
    this.closing = closing;
    this.election = election;
    this.candidateId = candidateId;
    this.token = token;
    this.sessionId = sessionId;
    this.startedNanos = System.nanoTime();
  }

  @Override
  public String election() {
    return election;
  }

  @Override
  public String candidateId() {
    return candidateId;
  }

  @Override
  public long token() {
    return token;
  }

  @Override
  public long startedNanos() {
    return startedNanos;
  }

  long sessionId() {
    return sessionId;
  }

  /**
   * Once false, false for good (SPEC rule 1.4): a renewal sent before the deadline but answered after it would
   * otherwise revive a term the application may already have seen end. A candidate that is still first after such
   * a lapse leads again in a new term (with the same token, rule 1.2).
   */
  @Override
  public boolean isValid() {
    if (endReason != null || lapsed || closing.getAsBoolean()) {
      return false;
    }
    if (client.sessionAlive(sessionId)) {
      return true;
    }
    lapsed = true;
    return false;
  }

  @Override
  public long validUntilNanos() {
    long now = System.nanoTime();
    if (!isValid()) {
      return now - 1;
    }
    long deadline = client.sessionDeadline(sessionId);
    return deadline - now > 0 ? deadline : now - 1;
  }

  @Override
  public CompletionStage<EndReason> ended() {
    return ended.minimalCompletionStage();
  }

  EndReason endReason() {
    return endReason;
  }

  /**
   * Ends the term at once, from any thread; the first reason wins. Returns true if this call ended it. The caller
   * completes {@link #ended()}: on the callback pool from Elector's own threads ({@link #completeEndedLater()}), or
   * on the application's thread that asked for the end ({@link #completeEnded()}).
   */
  boolean end(EndReason reason) {
    return END_REASON.compareAndSet(this, null, reason);
  }

  /** Completes {@link #ended()} on the calling thread (an application thread), if the term has ended. */
  void completeEnded() {
    EndReason r = endReason;
    if (r != null) {
      ended.complete(r);
    }
  }

  /** Completes {@link #ended()} on the callback pool: for Elector's own threads, which never run application code. */
  void completeEndedLater() {
    client.onCallbacks(this::completeEnded);
  }

  private static final VarHandle END_REASON;

  static {
    try {
      END_REASON = MethodHandles.lookup().findVarHandle(Term.class, "endReason", EndReason.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Override
  public String toString() {
    return "Leadership[election=" + election + ", candidate=" + candidateId + ", token=" + token
        + (endReason == null ? "" : ", ended=" + endReason) + "]";
  }
}
