package dev.elector.etcd;

import static dev.elector.etcd.TicketNames.bytes;

import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.etcd.Waiter.Phase;
import dev.elector.spi.BackendListener;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import dev.elector.spi.TicketLostException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The tickets of the current lease, from their create until they are removed, lost or expire, kept per election in
 * its {@link Line}: the watch on each ticket's own key (which reports a delete nobody of ours asked for), the
 * renewal that tells a lost ticket from a lost lease, the removal and data update of a ticket, and the keys being
 * removed in the background ({@link #cleanUp}).
 *
 * <p>Loop-confined. Invariants: a ticket is in its line's {@code owned} exactly while it belongs to the current
 * lease and is neither removed nor known lost; answers for a ticket that left (or a line that is {@code dead}) are
 * dropped; a clean-up acts only while its lease is the current one; a ticket whose key vanished suspends the
 * session at once, and is reported lost only once a keep-alive sent after that has come back without saying the
 * lease is gone (a gone lease is an expiry, not a lost ticket).
 */
final class Tickets {
  private static final System.Logger LOG = EtcdBackend.LOG;

  private final EtcdSession session;
  private final Ops ops;
  private final KV kv;
  /** The session's one watch stream: each ticket's own key, each waiter's predecessor, each observed line. */
  final WatchStream watches;
  private final Loop loop;
  private final BackendListener listener;
  private final Duration opTimeout;
  private final Map<String, Line> lines = new HashMap<>();
  /** Keys being removed in the background, by key; see {@link #cleanUp}. */
  private final Map<String, CleanUp> cleanUps = new HashMap<>();
  /**
   * Owned keys whose create was sent more than once (see {@link Enqueue}): an earlier attempt may still commit after
   * the key is removed, so these keys are removed fenced. A key leaves this set when it leaves the session.
   */
  private final Set<String> createsRetried = new HashSet<>();

  Tickets(EtcdSession session, Ops ops, KV kv, WatchStream watches, Loop loop, BackendListener listener,
      Duration opTimeout) {
    this.session = session;
    this.ops = ops;
    this.kv = kv;
    this.watches = watches;
    this.loop = loop;
    this.listener = listener;
    this.opTimeout = opTimeout;
  }

  /** The line of {@code election}, or null while nobody of this session uses it. */
  Line line(String election) {
    return lines.get(election);
  }

  Line lineOf(String election) {
    return lines.computeIfAbsent(election, e -> new Line(this, e));
  }

  /** Called by {@link Line#retireWhenIdle}. */
  void forgetLine(String election) {
    lines.remove(election);
  }

  /** The lease is gone (expired, or closed): every line fails with {@code why}; clean-ups go, their keys with it. */
  void leaseEnded(ElectorException why) {
    for (Line line : List.copyOf(lines.values())) {
      line.kill(why);
    }
    lines.clear();
    cleanUps.clear(); // their keys go with the lease
    createsRetried.clear(); // and a late create fails: its lease is gone
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Own keys: each ticket watches its own key, for a delete nobody of ours asked for.

  /** Takes a new ticket in; {@code createRetried} if its create was sent more than once. */
  void own(Line line, Ticket t, boolean createRetried) {
    if (createRetried) {
      createsRetried.add(t.key());
    }
    line.owned.put(t.key(), t);
    watchOwn(line, t, t.token() + 1);
  }

  void watchOwn(Line line, Ticket t, long from) {
    watches.cancel(line.ownWatches.put(t.key(), watches.watchDeletes(t.key(), from, ownKeyListener(line, t))));
  }

  /**
   * The listener of an owned key's watch. Static, so that it holds the line and the ticket only, as it did when it
   * was made inside the line: one lives per ticket, and heap per candidate is measured.
   */
  private static WatchStream.Listener ownKeyListener(Line line, Ticket t) {
    return new WatchStream.Listener() {
      @Override
      public void events(List<io.etcd.jetcd.api.Event> events) {
        line.tickets.ownKeyDeleted(line, t.key());
      }

      @Override
      public void lost(String why) {
        line.tickets.recheckOwn(line, t, why);
      }
    };
  }

  /** The watch on an owned key is lost (etcd compacted past it): read whether the key lives, and watch again. */
  void recheckOwn(Line line, Ticket t, String why) {
    if (line.dead || line.owned.get(t.key()) != t) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, "watch on " + t.key() + " lost (" + why + "); reading it again");
    ops.io("checking ticket " + t.key(), () -> kv.get(bytes(t.key()), GetOption.builder().withKeysOnly(true).build()))
        .whenComplete((r, e) -> {
          if (line.dead || line.owned.get(t.key()) != t) {
            return;
          }
          if (e != null) {
            loop.schedule(() -> recheckOwn(line, t, why), EtcdSession.RETRY_MILLIS * 2, TimeUnit.MILLISECONDS);
          } else if (r.getKvs().isEmpty() || r.getKvs().get(0).getCreateRevision() != t.token()) {
            ownKeyDeleted(line, t.key());
          } else {
            watchOwn(line, t, r.getHeader().getRevision() + 1);
          }
        });
  }

  void disown(Line line, String key, ElectorException why) {
    line.owned.remove(key);
    watches.cancel(line.ownWatches.remove(key));
    Waiter w = line.waiters.remove(key);
    if (w != null && w.phase != Phase.DONE) {
      line.finish(w);
      w.out.completeExceptionally(why);
    }
    line.retireWhenIdle();
  }

  /**
   * One of our keys vanished without remove(): deleted by someone else, or with our lease. Ask the lease to tell
   * which, so that an expired lease is reported as such rather than as lost tickets.
   *
   * <p>Invariant: no term of this session is valid from this call until the keep-alive sent here answers. The
   * same delete may reach our successor first, and the lease may already be revoked; so the session suspends
   * first, as ZooKeeper's backend does. An operator's delete costs the session's other terms one round trip.
   */
  void ownKeyDeleted(Line line, String key) {
    Ticket t = line.owned.remove(key);
    if (t == null) {
      return;
    }
    watches.cancel(line.ownWatches.remove(key));
    Waiter w = line.waiters.remove(key);
    if (w != null && w.phase != Phase.DONE) {
      line.finish(w);
    } else {
      w = null;
    }
    Waiter waiter = w;
    line.retireWhenIdle();
    if (t.sessionId() != session.leaseId()) {
      if (waiter != null) {
        waiter.out.completeExceptionally(new SessionLostException("the etcd lease "
            + Long.toHexString(t.sessionId()) + " of ticket " + key + " expired", true));
      }
      return;
    }
    session.suspendNow();
    session.renew(alive -> {
      if (Boolean.FALSE.equals(alive) || t.sessionId() != session.leaseId()) {
        if (waiter != null) {
          waiter.out.completeExceptionally(new SessionLostException("the etcd lease "
              + Long.toHexString(t.sessionId()) + " of ticket " + key + " expired", true));
        }
        return;
      }
      // Belt and braces: the engine forgets a lost ticket, so it must really be gone (a no-op if it is), and stay
      // gone if an earlier attempt of its create is still on its way.
      cleanUp(key, t.sessionId(), createsRetried.remove(key));
      try {
        listener.ticketLost(t);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "backend listener failed on ticketLost", e);
      }
      if (waiter != null) {
        waiter.out.completeExceptionally(new TicketLostException("ticket " + key + " in election '"
            + line.election + "' was deleted by someone else"));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Removal and update.

  CompletionStage<Void> remove(Ticket ticket) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    loop.run(() -> {
      String what = "leaving election '" + ticket.election() + "'";
      Line line = lines.get(ticket.election());
      if (line != null) {
        disown(line, ticket.key(), new TicketLostException("ticket " + ticket.key() + " was removed"));
      }
      if (session.state() == State.CLOSED) {
        // Closing revoked the lease, and the key with it.
        out.complete(null);
        return;
      }
      if (ticket.sessionId() != session.leaseId()) {
        // The ticket's lease is gone, and its keys went with it.
        out.complete(null);
        return;
      }
      long started = System.nanoTime();
      deleteTicket(ticket, createsRetried.remove(ticket.key()), what, started, out);
    });
    return out;
  }

  /**
   * Deletes a ticket's key, retrying within the operation timeout; {@code fenced} (its create was sent more than
   * once) with {@link Enqueue#cleanUpTxn}, so that an earlier attempt of the create that commits later fails.
   */
  private void deleteTicket(Ticket ticket, boolean fenced, String what, long started, CompletableFuture<Void> out) {
    ops.io(what, () -> removeKey(ticket.key(), ticket.sessionId(), fenced), true).whenComplete((r, e) -> {
      if (e == null) {
        out.complete(null);
      } else if (Ops.retryable(e) && ticket.sessionId() == session.leaseId() && session.state() != State.CLOSED
          && System.nanoTime() - started < opTimeout.toNanos()) {
        loop.schedule(() -> deleteTicket(ticket, fenced, what, started, out), EtcdSession.RETRY_MILLIS,
            TimeUnit.MILLISECONDS);
      } else if (ticket.sessionId() != session.leaseId() || session.state() == State.CLOSED) {
        out.complete(null);
      } else {
        cleanUp(ticket.key(), ticket.sessionId(), fenced);
        out.completeExceptionally(e);
      }
    });
  }

  CompletionStage<Void> update(Ticket ticket, byte[] data) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    byte[] value = TicketCodec.encode(ticket.candidateId(), data);
    loop.run(() -> {
      String what = "updating the data of " + ticket.candidateId() + " in election '" + ticket.election() + "'";
      if (session.state() == State.CLOSED) {
        ops.unusable(out, what);
        return;
      }
      if (ticket.sessionId() != session.leaseId()) {
        out.completeExceptionally(new TicketLostException(what + " failed: the ticket's lease expired"));
        return;
      }
      ByteSequence k = bytes(ticket.key());
      ops.io(what, () -> kv.txn()
          .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(ticket.token())))
          .Then(Op.put(k, ByteSequence.from(value), PutOption.builder().withLeaseId(ticket.sessionId()).build()))
          .commit()).whenComplete((r, e) -> {
            if (e != null) {
              if (e instanceof SessionLostException s && s.expired()) {
                session.leaseLost(ticket.sessionId(), e);
              }
              out.completeExceptionally(e);
            } else if (!r.isSucceeded()) {
              out.completeExceptionally(new TicketLostException(what + " failed: ticket " + ticket.key()
                  + " is gone"));
            } else {
              out.complete(null);
            }
          });
    });
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Clean-ups: keys removed in the background.

  /** One key being removed in the background; at most one request of it in flight or one retry scheduled. */
  private static final class CleanUp {
    final String key;
    final long lease;
    boolean fenced;
    int failures;

    CleanUp(String key, long lease, boolean fenced) {
      this.key = key;
      this.lease = lease;
      this.fenced = fenced;
    }
  }

  /**
   * Deletes a key in the background until it is gone or its lease is (which takes the key with it); {@code fenced}
   * when the key's create may still be in flight (see {@link Enqueue}). One clean-up per key: a key already being
   * cleaned up is not cleaned up twice (the engine retries failed removals; a retry chain per call would pile up
   * behind a long partition), so the clean-ups pending never outnumber the session's keys.
   * Retries back off up to {@link EtcdSession#MAX_BACKOFF_MILLIS}.
   */
  void cleanUp(String key, long lease, boolean fenced) {
    if (session.state() == State.CLOSED || lease != session.leaseId()) {
      return;
    }
    CleanUp c = cleanUps.get(key);
    if (c != null) {
      c.fenced |= fenced;
      return;
    }
    c = new CleanUp(key, lease, fenced);
    cleanUps.put(key, c);
    sendCleanUp(c);
  }

  private void sendCleanUp(CleanUp c) {
    if (session.state() == State.CLOSED || c.lease != session.leaseId()) {
      cleanUps.remove(c.key, c);
      return;
    }
    ops.io("removing key " + c.key, () -> removeKey(c.key, c.lease, c.fenced))
        .whenComplete((r, e) -> {
          if (e == null || EtcdErrors.leaseNotFound(e)) {
            cleanUps.remove(c.key, c);
            return;
          }
          c.failures++;
          loop.schedule(() -> sendCleanUp(c), EtcdSession.backoff(c.failures), TimeUnit.MILLISECONDS);
        });
  }

  /**
   * Sends the request that removes our key {@code key}: fenced ({@link Enqueue#cleanUpTxn}) when its create may
   * still be in flight, so that a late create fails; else a plain delete.
   */
  private CompletableFuture<Object> removeKey(String key, long lease, boolean fenced) {
    CompletableFuture<?> sent = fenced ? Enqueue.cleanUpTxn(kv, key, lease) : kv.delete(bytes(key));
    return sent.thenApply(x -> x);
  }

  /** For tests: clean-ups not finished. */
  int cleanUpsPending() {
    return CompletableFuture.supplyAsync(cleanUps::size, loop).join();
  }
}
