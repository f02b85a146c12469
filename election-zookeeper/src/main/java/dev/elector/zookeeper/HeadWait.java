package dev.elector.zookeeper;

import static dev.elector.zookeeper.TicketNames.TICKET_PREFIX;
import static dev.elector.zookeeper.TicketNames.parentOf;

import dev.elector.SessionLostException;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

/**
 * {@code awaitHead}: one ticket waiting to be first in line. It lists the line (a listing shared through
 * {@link LineReader}), and either is first or watches only its predecessor, so a handoff wakes only the successor.
 * Loop-confined.
 *
 * <p>Invariants: being first completes the wait only while the session is current and up (the ticket's node was
 * created by this session, which {@link Enqueue} checked); a wait that a later {@code awaitHead} superseded
 * ({@link TicketState#gen}) ignores every answer sent for it; a missing own node is reported only after
 * {@link Tickets#confirmLost} has proven the session alive.
 */
final class HeadWait {
  private final ZkSession session;
  private final Loop loop;
  private final Tickets tickets;
  private final LineReader lines;
  /** Predecessor watches set by waiting tickets. */
  private final AtomicLong predecessorWatches;
  /** Predecessor deletions delivered to waiting tickets: one per handoff when only the successor is woken. */
  private final AtomicLong predecessorWakeups;

  HeadWait(ZkSession session, Loop loop, Tickets tickets, LineReader lines, AtomicLong predecessorWatches,
      AtomicLong predecessorWakeups) {
    this.session = session;
    this.loop = loop;
    this.tickets = tickets;
    this.lines = lines;
    this.predecessorWatches = predecessorWatches;
    this.predecessorWakeups = predecessorWakeups;
  }

  /** Completes when {@code ticket} is first in line while the session is up. Any thread. */
  CompletionStage<Void> await(Ticket ticket) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (!loop.post(() -> startWait(ticket, f))) {
      f.completeExceptionally(ZkErrors.closed("Waiting for the head of election " + ticket.election()));
    }
    return f;
  }

  /** A watch event on a ticket's own node or on its predecessor's: handled on the loop. ZooKeeper's event thread. */
  void post(TicketState st, WatchedEvent event) {
    loop.post(() -> onTicketEvent(st, event));
  }

  private void startWait(Ticket t, CompletableFuture<Void> f) {
    if (session.isClosed()) {
      f.completeExceptionally(ZkErrors.closed("Waiting for the head of election " + t.election()));
      return;
    }
    TicketState st = tickets.get(t.key());
    if (st == null || st.ticket.sessionId() != t.sessionId()) {
      if (t.sessionId() != session.id()) {
        f.completeExceptionally(new SessionLostException("Ticket " + t.key() + " belonged to ZooKeeper session 0x"
            + Long.toHexString(t.sessionId()) + ", which expired", true));
      } else {
        f.completeExceptionally(new TicketLostException("Ticket " + t.key() + " of candidate '" + t.candidateId()
            + "' is not in line in election '" + t.election() + "'"));
      }
      return;
    }
    // A second wait supersedes the first: one waiter per ticket, so watches do not pile up.
    st.waiter = f;
    st.gen++;
    evaluate(st);
  }

  private void park(TicketState st) {
    if (!st.parked) {
      st.parked = true;
      session.whenUp(() -> {
        st.parked = false;
        evaluate(st);
      });
    }
  }

  /** Lists the line (in a listing shared with the session's other waiting tickets) and leads or watches. */
  void evaluate(TicketState st) {
    if (!st.waiting()) {
      return;
    }
    if (!session.up() || st.handle != session.current()) {
      park(st);
      return;
    }
    if (st.queued) {
      return; // the listing it waits for has not been sent yet, so it answers this wait too
    }
    lines.next(st, this);
  }

  void onLine(TicketState st, int g, Code code, Listing line) {
    switch (code) {
      case OK -> {}
      case CONNECTIONLOSS -> {
        park(st);
        return;
      }
      case SESSIONEXPIRED -> {
        return; // the Expired event fails the wait
      }
      case NONODE -> {
        tickets.confirmLost(st, "its election node was deleted");
        return;
      }
      default -> {
        String parent = parentOf(st.ticket.key());
        st.waiter.completeExceptionally(ZkErrors.translate("Waiting for the head of " + parent, code, parent));
        return;
      }
    }
    String key = st.ticket.key();
    int idx = line.indexOf(key, st.seq);
    if (idx < 0) {
      // The listing was sent after our create was acknowledged (see Lister), so a ticket missing from it is gone.
      tickets.confirmLost(st, "it is no longer in line");
      return;
    }
    if (st.mayHaveTwin) {
      removeTwins(st, line);
    }
    if (idx == 0) {
      headReached(st);
      return;
    }
    String pred = parentOf(key) + "/" + line.names[idx - 1];
    boolean first = idx == 1;
    // getData, not exists: exists on a node that is already gone would leave a creation watch behind for good.
    st.handle.zk.getData(pred, st, (rc2, p, ctx, data, stat) -> loop.post(() -> onPredecessor(st, g, pred, first, rc2,
        stat)), null);
  }

  /**
   * Removes duplicates of this ticket: a retried create whose first attempt the server applied late leaves a second
   * node with the same uuid. Only a ticket whose create was retried can have one, so only those scan the line.
   */
  private void removeTwins(TicketState st, Listing line) {
    String key = st.ticket.key();
    String own = key.substring(key.lastIndexOf('/') + 1);
    String prefix = own.substring(0, TICKET_PREFIX); // "<uuid>-n_"
    String parent = parentOf(key);
    for (String other : line.names) {
      if (other.startsWith(prefix) && !other.equals(own)) {
        st.handle.zk.delete(parent + "/" + other, -1, (rc2, p, ctx) -> {}, null);
      }
    }
  }

  private void onPredecessor(TicketState st, int g, String pred, boolean first, int rc, Stat stat) {
    if (g != st.gen || !st.waiting()) {
      return;
    }
    Code code = Code.get(rc);
    switch (code) {
      case OK -> {
        predecessorWatches.incrementAndGet();
        st.watching = pred;
        st.watchingFirst = first;
        st.watchingOwn = stat.getEphemeralOwner() == st.handle.id;
      }
      case NONODE -> evaluate(st);
      case CONNECTIONLOSS -> park(st);
      case SESSIONEXPIRED -> {}
      default -> st.waiter.completeExceptionally(ZkErrors.translate("Watching the predecessor " + pred, code, pred));
    }
  }

  private void headReached(TicketState st) {
    // The ticket's node was created by this session (enqueue checked its ephemeralOwner), so being first while the
    // session is current and up is leading. While suspended the wait stays pending and is re-checked on recovery.
    if (!session.up() || st.handle != session.current()) {
      park(st);
      return;
    }
    st.waiter.complete(null);
  }

  private void onTicketEvent(TicketState st, WatchedEvent e) {
    if (st.dead || st.ticket == null || tickets.get(st.ticket.key()) != st) {
      return;
    }
    String path = e.getPath();
    Watcher.Event.EventType type = e.getType();
    if (path.equals(st.ticket.key())) {
      if (type == Watcher.Event.EventType.NodeDeleted) {
        tickets.confirmLost(st, "its node was deleted by another client");
      } else if (type == Watcher.Event.EventType.NodeDataChanged) {
        tickets.watchOwn(st);
      }
    } else if (path.equals(st.watching)) {
      if (type == Watcher.Event.EventType.NodeDeleted) {
        predecessorDeleted(st);
      } else if (type == Watcher.Event.EventType.NodeDataChanged) {
        // The predecessor's data changed, which used up the one-shot watch: set it again.
        String pred = path;
        st.handle.zk.getData(pred, st, (rc, p, ctx, data, stat) -> loop.post(() -> {
          if (!st.dead && pred.equals(st.watching)) {
            if (rc == Code.NONODE.intValue()) {
              predecessorDeleted(st);
            } else if (rc != Code.OK.intValue()) {
              st.watching = null;
              evaluate(st);
            }
          }
        }), null);
      }
    }
  }

  private void predecessorDeleted(TicketState st) {
    String pred = st.watching;
    st.watching = null;
    if (!st.waiting()) {
      return;
    }
    predecessorWakeups.incrementAndGet();
    // A predecessor of our own session that we did not remove may have gone because the server is closing our
    // session (a forced expiry deletes all its nodes while the connection still delivers events, in any order):
    // then a round trip must prove the session alive before we lead.
    // Likewise while our own node's watch is being set again: a delete of our node in that gap would not be seen
    // before this event.
    boolean safe = st.ownWatched && (!st.watchingOwn || tickets.isRemoving(pred));
    if (st.watchingFirst && safe) {
      // Fast handoff: the predecessor was first when we listed the line, and ZooKeeper only appends larger
      // sequence numbers, so we are first now. No listing, no re-read of our node: our node's own watch would have
      // told us first (events of one session arrive in order) if it were gone.
      headReached(st);
    } else {
      evaluate(st);
    }
  }
}
