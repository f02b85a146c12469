package dev.elector.zookeeper;

import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import dev.elector.spi.TicketLostException;
import dev.elector.zookeeper.ZkSession.Handle;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.zookeeper.KeeperException.Code;

/**
 * The tickets of the current session, from their create until they are removed, lost or expire: the watch on each
 * ticket's own node (which reports an external delete), the proof that tells a lost ticket from an expiring
 * session, and the removal and data update of a ticket. Loop-confined.
 *
 * <p>Invariant: a ticket is in {@link #tickets} exactly while it belongs to the current session and is neither
 * removed nor known lost; {@link TicketState#dead} is set when it leaves.
 */
final class Tickets {
  private static final System.Logger LOG = ZkBackend.LOG;

  private final ZkSession session;
  private final Loop loop;
  private final Ops ops;
  private final BackendListener listener;
  private final Map<String, TicketState> tickets = new HashMap<>();
  /** Ticket paths this backend is deleting: their deletion is no sign of our session closing. */
  private final Set<String> removing = new HashSet<>();

  Tickets(ZkSession session, Loop loop, Ops ops, BackendListener listener) {
    this.session = session;
    this.loop = loop;
    this.ops = ops;
    this.listener = listener;
  }

  /** Registers a ticket just created in the current session. */
  void add(TicketState st) {
    tickets.put(st.ticket.key(), st);
  }

  /** The state of the ticket whose node is {@code key}, or null. */
  TicketState get(String key) {
    return tickets.get(key);
  }

  /** True if this backend is deleting the node {@code key} itself. */
  boolean isRemoving(String key) {
    return removing.contains(key);
  }

  /** Removes {@code ticket} (releasing a pending wait at once); it succeeds if the ticket is already gone. */
  CompletionStage<Void> remove(Ticket ticket) {
    return ops.submit(new Remove(ticket), null);
  }

  /** Replaces the data of {@code ticket}. */
  CompletionStage<Void> update(Ticket ticket, byte[] data, Duration timeout) {
    return ops.submit(new Update(ticket, TicketCodec.encode(ticket.candidateId(), data)), timeout);
  }

  /** The session expired: every ticket is gone with it, and its pending wait fails with {@code lost}. */
  void expired(SessionLostException lost) {
    for (TicketState st : tickets.values()) {
      st.dead = true;
      if (st.waiter != null) {
        st.waiter.completeExceptionally(lost);
      }
    }
    tickets.clear();
    removing.clear();
  }

  /** The backend closed: every pending wait fails. */
  void closeAll() {
    for (TicketState st : tickets.values()) {
      st.dead = true;
      if (st.waiter != null) {
        st.waiter.completeExceptionally(ZkErrors.closed("Waiting for the head of election " + st.ticket.election()));
      }
    }
    tickets.clear();
  }

  /** (Re)sets the watch on the ticket's own node, which reports an external delete. */
  void watchOwn(TicketState st) {
    if (st.dead) {
      return;
    }
    st.ownWatched = false;
    if (!session.up() || st.handle != session.current()) {
      session.whenUp(() -> watchOwn(st));
      return;
    }
    st.handle.zk.getData(st.ticket.key(), st, (rc, p, ctx, data, stat) -> loop.post(() -> {
      if (rc == Code.OK.intValue()) {
        st.ownWatched = true;
      } else if (rc == Code.NONODE.intValue()) {
        confirmLost(st, "its node was deleted by another client");
      } else if (rc == Code.CONNECTIONLOSS.intValue()) {
        session.whenUp(() -> watchOwn(st));
      }
    }), null);
  }

  /**
   * Our node is gone. If our session is being closed by the server (a forced expiry), that is an expiry, not a lost
   * ticket, and the Expired event will say so; otherwise someone deleted it. One request tells which: the server
   * refuses requests of a closed session.
   */
  void confirmLost(TicketState st, String why) {
    if (st.dead || st.dying) {
      return;
    }
    st.dying = true;
    Handle s = st.handle;
    if (!session.up() || s != session.current()) {
      session.whenUp(() -> lose(st, why));
      return;
    }
    // Until the answer comes, the session may already be gone on the server, which may be electing a successor
    // right now (a forced expiry does not wait for the timeout): suspend first, so no term of this session stays
    // valid meanwhile. An external delete costs the session's other terms one round trip.
    session.suspend(s);
    long sent = System.nanoTime();
    int conn = s.connection;
    // A sync, like the heartbeat: the ensemble's leader refuses it if it has closed the session.
    s.zk.sync("/", (rc, path, ctx) -> loop.post(() -> {
      if (rc == Code.OK.intValue()) {
        // Recover first, then report the loss: the engine rejoins a lost ticket's candidate only while connected,
        // and a RECOVERED that came after the loss left the candidate waiting for a rejoin that never came.
        session.proved(s, conn, sent, rc);
        if (session.up()) {
          lose(st, why);
        } else {
          // No deadline proven yet: the next heartbeat of this connection brings it.
          session.whenUp(() -> lose(st, why));
        }
      } else if (rc == Code.CONNECTIONLOSS.intValue()) {
        session.whenUp(() -> lose(st, why));
      }
    }), null);
  }

  private void lose(TicketState st, String why) {
    if (st.dead || st.handle != session.current()) {
      return;
    }
    st.dead = true;
    tickets.remove(st.ticket.key());
    Ticket t = st.ticket;
    try {
      listener.ticketLost(t);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Backend listener failed on ticketLost", e);
    }
    if (st.waiter != null) {
      st.waiter.completeExceptionally(new TicketLostException("Ticket " + t.key() + " of candidate '"
          + t.candidateId() + "' in election '" + t.election() + "' is gone: " + why));
    }
  }

  private final class Remove extends Op<Void> {
    final Ticket ticket;

    Remove(Ticket ticket) {
      super(Tickets.this.ops, "Removing ticket " + ticket.key());
      this.ticket = ticket;
    }

    /** Releases a pending wait at once, even if the delete itself must wait for the connection. */
    @Override
    void accepted() {
      TicketState st = tickets.get(ticket.key());
      if (st != null) {
        st.dead = true;
        tickets.remove(ticket.key());
        if (st.waiter != null) {
          st.waiter.completeExceptionally(new TicketLostException("Ticket " + ticket.key() + " was removed"));
        }
      }
    }

    @Override
    void run(Handle s, int a) {
      if (s.id != ticket.sessionId()) {
        result.complete(null); // it went with its session
        return;
      }
      removing.add(ticket.key());
      s.zk.delete(ticket.key(), -1, (rc, path, ctx) -> post(() -> {
        Code code = Code.get(rc);
        if (code != Code.CONNECTIONLOSS) {
          // The deletion's watch events reach us before this reply: nobody needs the entry any more.
          removing.remove(ticket.key());
        }
        if (stale(a)) {
          return;
        }
        if (code == Code.OK || code == Code.NONODE) {
          result.complete(null);
        } else {
          failed(code, path);
        }
      }), null);
    }

    @Override
    void expired(SessionLostException e) {
      result.complete(null); // an ephemeral node dies with its session
    }
  }

  private final class Update extends Op<Void> {
    final Ticket ticket;
    final byte[] bytes;

    Update(Ticket ticket, byte[] bytes) {
      super(Tickets.this.ops, "Updating the data of ticket " + ticket.key());
      this.ticket = ticket;
      this.bytes = bytes;
    }

    @Override
    void run(Handle s, int a) {
      if (s.id != ticket.sessionId()) {
        result.completeExceptionally(new SessionLostException(what + " failed: its session expired", true));
        return;
      }
      s.zk.setData(ticket.key(), bytes, -1, (rc, path, ctx, stat) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.OK) {
          result.complete(null);
        } else {
          failed(code, path);
        }
      }), null);
    }
  }
}
