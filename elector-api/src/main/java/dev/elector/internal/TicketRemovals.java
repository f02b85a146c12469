package dev.elector.internal;

import dev.elector.ClosedException;
import dev.elector.SessionLostException;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import dev.elector.spi.support.Errors;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The engine's removal of tickets on resign and close. A removal is retried after a failure (a suspension, a
 * timeout) until the ticket is gone or its session is: a resign or close must never leave a ticket at the head of
 * the line. A retry waits a quarter of the longest rejoin backoff while connected, 50 ms while not; an expiry drops
 * the retries still waiting, since the tickets went with the session.
 */
final class TicketRemovals {
  private final EngineClient client;
  /** Tickets whose next attempt is scheduled (engine thread); cleared on expiry. */
  private final Set<Ticket> pending = new LinkedHashSet<>();

  TicketRemovals(EngineClient client) {
    this.client = client;
  }

  /** Any thread: removes {@code t}; the stage completes when it is gone, or its session is. */
  CompletionStage<Void> remove(Ticket t) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    attempt(t, done);
    return done;
  }

  /** Engine thread: the session expired; its tickets are gone, so no retry is needed. */
  void clear() {
    pending.clear();
  }

  private void attempt(Ticket t, CompletableFuture<Void> done) {
    ElectionBackend b = client.backend();
    if (b == null || b.sessionId() != t.sessionId()) {
      done.complete(null); // the session, and the ticket with it, is gone
      return;
    }
    b.remove(t).whenComplete((v, err) -> {
      Throwable cause = Errors.unwrap(err);
      if (cause == null || cause instanceof TicketLostException || cause instanceof ClosedException
          || (cause instanceof SessionLostException s && s.expired())) {
        client.post(() -> pending.remove(t), () -> {});
        done.complete(null);
      } else {
        client.post(() -> {
          pending.add(t);
          client.schedule(() -> {
            if (pending.remove(t)) {
              attempt(t, done);
            }
          }, client.connected() ? client.maxBackoffMillis() / 4 : 50);
        }, () -> done.complete(null));
      }
    });
  }
}
