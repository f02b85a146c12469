package dev.elector.mem;

import dev.elector.ClientConfig;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.support.SessionClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The client side of a {@link MemCluster} session. Every operation runs on the cluster's network thread, which is
 * also where completions and events are delivered, so a client sees everything in the order it happened. While cut
 * off, deliveries are held back and released after the client learns its session survived.
 */
final class MemBackend implements ElectionBackend {
  private final MemCluster cluster;
  private final BackendListener listener;
  private final String root;
  final long timeoutNanos;

  private volatile long sessionId;
  private volatile boolean cutOff;
  private volatile boolean expired;
  private volatile boolean closed;
  private volatile long frozenDeadline;
  /** Cut-offs so far (written under the cluster's lock): a heal still on its way must not undo a later cut. */
  private volatile long cuts;
  // Network-thread state.
  private final List<Runnable> held = new ArrayList<>();
  private boolean expiredWhileCutOff;

  MemBackend(MemCluster cluster, ClientConfig config, BackendListener listener) {
    this.cluster = cluster;
    this.listener = listener;
    this.root = config.root().equals("/") ? "" : config.root();
    this.timeoutNanos = config.sessionTimeout().toNanos();
  }

  void open(long id) {
    sessionId = id;
    cluster.deliver(() -> listener.sessionEvent(new SessionEvent(SessionEvent.Kind.CONNECTED, id)));
  }

  @Override
  public long sessionId() {
    return closed ? 0 : sessionId;
  }

  @Override
  public long sessionDeadline() {
    long now = System.nanoTime();
    if (closed || expired || sessionId == 0) {
      return now - 1;
    }
    if (cutOff) {
      return frozenDeadline;
    }
    // Like a real client's: the one margin rule between our own deadline and the server's expiry.
    return SessionClock.deadline(now, timeoutNanos);
  }

  private String path(String election) {
    return root + "/" + election;
  }

  private <T> CompletionStage<T> op(Supplier<T> action) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(MemCluster.closed());
      return f;
    }
    cluster.deliver(() -> {
      if (closed) {
        f.completeExceptionally(MemCluster.closed());
        return;
      }
      try {
        f.complete(action.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    return op(() -> cluster.enqueue(sessionId, path(election), election, candidateId, data));
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    op(() -> {
      if (ticket.sessionId() != sessionId) {
        throw new SessionLostException("the ticket's session " + Long.toHexString(ticket.sessionId()) + " expired",
            true);
      }
      cluster.awaitHead(ticket, f);
      return null;
    }).whenComplete((v, e) -> {
      if (e != null) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    return op(() -> {
      if (ticket.sessionId() == sessionId) {
        cluster.remove(sessionId, ticket);
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    return op(() -> {
      cluster.update(sessionId, ticket, data);
      return null;
    });
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    return op(() -> cluster.line(sessionId, path(election)));
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener headListener) {
    if (closed) {
      throw MemCluster.closed();
    }
    return cluster.watchHead(sessionId, path(election), headListener);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    long id = sessionId;
    cluster.close(id);
    cluster.deliver(() -> {
      held.clear();
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.CLOSED, id));
    });
  }

  // ---------------------------------------------------------------- called by MemCluster

  /** Delivers a server notification, or holds it back while cut off. */
  void send(Runnable r) {
    cluster.deliver(() -> {
      if (closed) {
        return;
      }
      if (cutOff) {
        held.add(r);
      } else {
        r.run();
      }
    });
  }

  <T> void complete(CompletableFuture<T> f, T value) {
    send(() -> f.complete(value));
  }

  void fail(CompletableFuture<?> f, Throwable e) {
    send(() -> f.completeExceptionally(e));
  }

  void ticketLost(Ticket t) {
    send(() -> listener.ticketLost(t));
  }

  /**
   * Called under the cluster's lock when someone else (an operator) deleted this client's ticket at the head of its
   * line. The next in line is told it is first on the same deletion, so this client's term must be invalid before
   * the cluster's lock is released (SPEC rule 1.1): the client hears of the loss and of a suspension at once, on
   * the deleting thread (a suspension makes every term of the session invalid synchronously, and the loss, queued
   * first, ends the term with {@code TICKET_LOST}); a recovery follows on the network thread, which restarts the
   * session's other candidates. ZooKeeper's backend likewise suspends before it checks its session. A client cut
   * off hears of the loss when healed, as of everything else.
   */
  void headTicketDeleted(Ticket t) {
    long id = sessionId;
    if (closed || cutOff || expired || t.sessionId() != id) {
      ticketLost(t);
      return;
    }
    listener.ticketLost(t);
    listener.sessionEvent(new SessionEvent(SessionEvent.Kind.SUSPENDED, id));
    cluster.deliver(() -> {
      if (!closed && !cutOff && id == sessionId) {
        listener.sessionEvent(new SessionEvent(SessionEvent.Kind.RECOVERED, id));
      }
    });
  }

  void cutOff(boolean notice) {
    long now = System.nanoTime();
    // The deadline moves first, so isValid() is false before any event is delivered (SPEC rule 1.4).
    frozenDeadline = notice ? now - 1 : SessionClock.deadline(now, timeoutNanos);
    cuts++;
    cutOff = true;
    long id = sessionId;
    if (notice) {
      cluster.deliver(() -> {
        if (!closed && id == sessionId) {
          listener.sessionEvent(new SessionEvent(SessionEvent.Kind.SUSPENDED, id));
        }
      });
    }
  }

  void heal() {
    long healed = cuts;
    cluster.deliver(() -> {
      // Cut off again since this heal was sent: the newer cut stands (held deliveries stay held until its heal).
      if (closed || !cutOff || healed != cuts) {
        return;
      }
      cutOff = false;
      if (expiredWhileCutOff) {
        expiredWhileCutOff = false;
        held.clear();
        announceExpiry(sessionId);
        return;
      }
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.RECOVERED, sessionId));
      List<Runnable> release = new ArrayList<>(held);
      held.clear();
      release.forEach(Runnable::run);
    });
  }

  /** Called under the cluster's lock when the server expired our session. */
  void sessionExpired(long id, List<MemCluster.Watcher> watchers) {
    expired = id == sessionId || expired;
    cluster.deliver(() -> {
      if (closed || id != sessionId) {
        return;
      }
      SessionLostException cause = new SessionLostException("mem session " + Long.toHexString(id) + " expired", true);
      watchers.forEach(w -> w.fail(cause));
      if (cutOff) {
        expiredWhileCutOff = true; // learnt when healed
        held.clear();
      } else {
        announceExpiry(id);
      }
    });
  }

  private void announceExpiry(long id) {
    listener.sessionEvent(new SessionEvent(SessionEvent.Kind.EXPIRED, id));
    // Like a real client: a short pause, then a new session.
    cluster.deliver(() -> {
      if (closed) {
        return;
      }
      long fresh = cluster.openSession(this);
      sessionId = fresh;
      expired = false;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.CONNECTED, fresh));
    });
  }
}
