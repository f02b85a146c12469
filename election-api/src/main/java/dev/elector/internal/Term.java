package dev.elector.internal;

import dev.elector.EndReason;
import dev.elector.Leadership;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One term. Its validity is evaluated on every call against the live session (SPEC rules 1.3, 1.4). */
final class Term implements Leadership {
  private final EngineClient client;
  private final String election;
  private final String candidateId;
  private final long token;
  private final long sessionId;
  private final long startedNanos;
  private volatile EndReason endReason;
  private volatile boolean lapsed;
  /** Completed on the callback pool, so application continuations never run on the engine thread. */
  private final CompletableFuture<EndReason> ended = new CompletableFuture<>();

  Term(EngineClient client, String election, String candidateId, long token, long sessionId) {
    this.client = client;
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
    if (endReason != null || lapsed) {
      return false;
    }
    if (client.sessionAlive(sessionId)) {
      return true;
    }
    lapsed = true;
    return false;
  }

  @Override
  public CompletionStage<EndReason> ended() {
    return ended.minimalCompletionStage();
  }

  CompletableFuture<EndReason> endedFuture() {
    return ended;
  }

  EndReason endReason() {
    return endReason;
  }

  /** Ends the term at once; the {@link #ended()} stage completes on the callback pool. Engine thread only. */
  void end(EndReason reason) {
    if (endReason != null) {
      return;
    }
    endReason = reason;
    client.onCallbacks(() -> ended.complete(reason));
  }

  @Override
  public String toString() {
    return "Leadership[election=" + election + ", candidate=" + candidateId + ", token=" + token
        + (endReason == null ? "" : ", ended=" + endReason) + "]";
  }
}
