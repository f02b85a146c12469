package dev.elector.internal;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Subscription;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import dev.elector.spi.support.Errors;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A candidate as the application sees it: the public methods hand their work to the engine thread (the
 * {@link Campaign} this extends) and return at once; {@code close()} and the client's close end the term on the
 * calling thread first (SPEC rule 1.6).
 */
final class EngineCandidate extends Campaign implements Candidate {
  EngineCandidate(EngineClient client, String election, String id, byte[] data) {
    super(client, election, id, data);
  }

  void addInitialListener(Executor executor, LeadershipListener listener) {
    listeners.add(new ListenerSub(new SerialExecutor(executor), listener));
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String election() {
    return election;
  }

  @Override
  public CandidateState state() {
    return state;
  }

  @Override
  public boolean isLeader() {
    Term t = term;
    return t != null && t.isValid();
  }

  @Override
  public Optional<Leadership> leadership() {
    Term t = term;
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  @Override
  public CompletionStage<Void> joined() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> {
      if (closing) {
        client.onCallbacks(() -> f.completeExceptionally(stopped()));
      } else if (ticket != null) {
        client.onCallbacks(() -> f.complete(null));
      } else {
        awaitJoined(f);
      }
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public CompletionStage<Leadership> elected() {
    CompletableFuture<Leadership> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> {
      Term t = term;
      if (closing) {
        client.onCallbacks(() -> f.completeExceptionally(stopped()));
      } else if (t != null && t.isValid()) {
        client.onCallbacks(() -> f.complete(t));
      } else {
        awaitElected(f);
      }
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public Leadership awaitLeadership(Duration timeout) throws InterruptedException {
    Checks.positive("timeout", timeout, Duration.ofDays(365));
    CompletableFuture<Leadership> f = elected().toCompletableFuture();
    try {
      return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new ElectorTimeoutException(
          "Candidate '" + id + "' of election '" + election + "' was not elected within " + timeout, timeout);
    } catch (ExecutionException e) {
      throw EngineClient.asElector(e.getCause());
    }
  }

  @Override
  public CompletionStage<Void> resign() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> doResign(f), () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  @Override
  public CompletionStage<Void> updateData(byte[] newData) {
    byte[] copy = Checks.data(newData, client.config().maxDataBytes());
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    data = copy;
    client.post(() -> {
      Ticket t = ticket;
      if (t == null) {
        // Not in line right now: the next ticket carries the new data.
        client.onCallbacks(() -> f.complete(null));
        return;
      }
      client.backend().update(t, copy).whenComplete((v, err) -> {
        Throwable cause = Errors.unwrap(err);
        if (cause == null || cause instanceof TicketLostException) {
          // A lost ticket is replaced by one carrying the new data.
          client.onCallbacks(() -> f.complete(null));
        } else {
          client.onCallbacks(() -> f.completeExceptionally(EngineClient.asElector(cause)));
        }
      });
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public Subscription addListener(Executor executor, LeadershipListener listener) {
    java.util.Objects.requireNonNull(executor, "executor");
    java.util.Objects.requireNonNull(listener, "listener");
    if (closing) {
      throw stopped();
    }
    ListenerSub sub = new ListenerSub(new SerialExecutor(executor), listener);
    client.post(() -> {
      listeners.add(sub);
      Term t = term;
      if (t != null && t.endReason() == null) {
        sub.elected(t);
      }
    }, () -> {});
    return () -> {
      sub.cancelled = true;
      listeners.remove(sub);
    };
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    beginClose();
    return closed.minimalCompletionStage();
  }

  /**
   * Sets the closing flag, then reads the current term, then hands the close to the engine thread: a term the
   * engine starts after the read is never valid (the flag), and {@link #doClose()} ends it.
   */
  private Term beginClose() {
    closing = true;
    Term t = term;
    client.post(this::doClose, () -> {
      // The engine is gone: the client closed, and with it the session and the ticket.
      state = CandidateState.CLOSED;
      removed.complete(null);
      client.onCallbacks(() -> closed.complete(null));
    });
    return t;
  }

  /**
   * Ends the term on the calling thread (SPEC rule 1.6, whatever the engine thread is doing): the term is invalid
   * (the closing flag), its {@code ended()} complete and its {@code revoked} queued when this returns; then waits at
   * most the operation timeout for the ticket's removal, which may need an unreachable backend (the ticket goes
   * with the session anyway).
   */
  @Override
  public void close() {
    endHere(beginClose());
    if (client.onEngineThread()) {
      return; // called from a callback on a direct executor: the engine removes the ticket once it returns
    }
    Duration timeout = client.config().operationTimeout();
    try {
      removed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "Candidate ''{0}'' of election ''{1}'': ticket not removed within {2};"
          + " it goes with the session", id, election, timeout);
    } catch (ExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "Closing candidate " + id, e.getCause());
    }
  }

  /**
   * Ends {@code t} on the calling thread, whatever the engine thread is doing (SPEC rule 1.6): invalid (the closing
   * flag, already set), {@code ended()} complete (on the callback pool instead when this is the engine thread, which
   * never runs application continuations) and {@code revoked} queued for every listener that got {@code elected}.
   */
  private void endHere(Term t) {
    if (t == null) {
      return;
    }
    t.end(EndReason.CLOSED);
    if (client.onEngineThread()) {
      t.completeEndedLater();
    } else {
      t.completeEnded();
    }
    for (ListenerSub l : listeners) {
      l.revoked(t, t.endReason());
    }
  }

  /** The client is closing, on the closing thread: this candidate's term ends now, its close goes to the engine. */
  void closeForClient() {
    endHere(beginClose());
  }

  /**
   * The engine stopped (the client closed) before this candidate's close finished there: finish it on the calling
   * thread. Touches only what is safe from any thread; the session took the ticket with it.
   */
  void abandon() {
    closing = true;
    endHere(term);
    state = CandidateState.CLOSED;
    failElectedWaiters();
    removed.complete(null);
    client.onCallbacks(() -> closed.complete(null));
  }


  /** Completes when the ticket is removed after a close (on any thread): for the client's own close. */
  CompletableFuture<Void> removedFuture() {
    return removed;
  }

  @Override
  public String toString() {
    return "Candidate[election=" + election + ", id=" + id + ", state=" + state + "]";
  }
}
