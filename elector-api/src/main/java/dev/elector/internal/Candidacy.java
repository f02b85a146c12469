package dev.elector.internal;

import dev.elector.CandidateState;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.Leadership;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the rest of the library sees of a candidate, and who waits on it: who it is, its data, state and term, its
 * listeners, the stages of its close, and the waiters for a ticket in line or a term. {@link Campaign} extends it
 * with the engine-thread state machine and {@link EngineCandidate} with the application's half (one object per
 * candidate, since heap per candidate is measured). Every field here is final, volatile or of a thread-safe type:
 * any thread may read it (the application's, the engine's, a closing one); none is confined to one thread.
 */
abstract class Candidacy {
  final EngineClient client;
  final String election;
  final String id;
  volatile byte[] data;
  volatile CandidateState state = CandidateState.JOINING;
  volatile Term term;
  final List<ListenerSub> listeners = new CopyOnWriteArrayList<>();
  /** Completes when the ticket is removed (or given up with the session) after a close; Elector-internal. */
  final CompletableFuture<Void> removed = new CompletableFuture<>();
  /** The application's view of {@link #removed}: completed on the callback pool, after the term's ended(). */
  final CompletableFuture<Void> closed = new CompletableFuture<>();
  /**
   * Set by the closing thread itself, before anything else: from then on no term of this candidate is valid
   * ({@link Term#isValid()} reads it), however busy the engine thread is (SPEC rule 1.6).
   */
  volatile boolean closing;
  /** Why the backend refused this candidate for good (for example no permission); null if it did not. */
  volatile ElectorException refusal;

  /**
   * Waiting for a term ({@link EngineCandidate#elected()}). Made by the first waiter, on the engine thread: most
   * candidates never have one, and two empty queues cost about 100 bytes per candidate (heap per candidate is
   * measured). Also drained by {@link EngineCandidate#abandon()} once the engine has stopped: hence volatile, and a
   * concurrent queue.
   */
  volatile Queue<CompletableFuture<Leadership>> electedWaiters;
  /** Waiting for a ticket in line ({@link EngineCandidate#joined()}); like {@link #electedWaiters}. */
  volatile Queue<CompletableFuture<Void>> joinedWaiters;

  Candidacy(EngineClient client, String election, String id, byte[] data) {
    this.client = client;
    this.election = election;
    this.id = id;
    this.data = data;
  }

  private ClosedException closedException() {
    return new ClosedException("Candidate '" + id + "' of election '" + election + "' is closed");
  }

  /** The error for use after the candidate stopped: the backend's refusal if that is why, else "closed". */
  ElectorException stopped() {
    ElectorException r = refusal;
    return r != null ? r : closedException();
  }

  void failElectedWaiters() {
    drain(electedWaiters, w -> w.completeExceptionally(stopped()));
    drain(joinedWaiters, w -> w.completeExceptionally(stopped()));
  }

  /** Engine thread: {@code f} completes when this candidate is elected (or fails when it stops). */
  void awaitElected(CompletableFuture<Leadership> f) {
    electedWaiters = enqueue(electedWaiters, f);
  }

  /** Engine thread: {@code f} completes when this candidate has a ticket in line (or fails when it stops). */
  void awaitJoined(CompletableFuture<Void> f) {
    joinedWaiters = enqueue(joinedWaiters, f);
  }

  /** Adds {@code f} to {@code waiters} (made if null), dropping waiters already done; returns the queue. */
  private static <T> Queue<CompletableFuture<T>> enqueue(Queue<CompletableFuture<T>> waiters,
      CompletableFuture<T> f) {
    Queue<CompletableFuture<T>> q = waiters == null ? new ConcurrentLinkedQueue<>() : waiters;
    q.removeIf(CompletableFuture::isDone);
    q.add(f);
    return q;
  }

  /** Empties {@code waiters} (null: none ever), completing each on the callback pool. */
  <T> void drain(Queue<CompletableFuture<T>> waiters, Consumer<CompletableFuture<T>> complete) {
    if (waiters == null) {
      return;
    }
    for (CompletableFuture<T> w; (w = waiters.poll()) != null; ) {
      CompletableFuture<T> waiter = w;
      client.onCallbacks(() -> complete.accept(waiter));
    }
  }
}
