package dev.elector.etcd;

import dev.elector.ElectorException;
import dev.elector.etcd.Waiter.Phase;
import dev.elector.spi.Ticket;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * One election's line in this session: our tickets (each watching its own key, see {@link Tickets}), their waiters
 * (each watching its predecessor, see {@link HeadWait}) and the head watchers (one {@link HeadMirror} on the
 * election's prefix, see {@link HeadWatches}), all on the session's one watch stream. A handoff wakes only the
 * successor's session; nobody else's watch covers the key that went.
 *
 * <p>Loop-confined. A line is made on first use and forgotten once idle ({@link #retireWhenIdle}); {@link #dead}
 * then fences every answer still on its way for it. One line per election adds up (10,000 elections on one
 * session), so it keeps one reference besides its own data: the {@link Tickets} that hold it.
 */
final class Line {
  /** A capacity for which HashMap makes a table of two slots, enough for one entry. */
  private static final int ONE = 2;
  /** The session's tickets, which hold the lines by election and own the watch stream. */
  final Tickets tickets;
  final String election;
  /**
   * The per-line maps start with room for one entry: with many elections on one session most lines hold one ticket,
   * and a default table (16 slots) for each would cost about 56 B more per map and candidate. A line of many
   * tickets grows as usual.
   */
  final Map<String, Ticket> owned = new HashMap<>(ONE);
  /**
   * The watch on each owned key, for a delete nobody of ours asked for (an operator's, or the lease's): a leader
   * ends its term on this first notice (SPEC rule 1.3), and a waiter whose key is gone is never elected.
   */
  final Map<String, WatchStream.Handle> ownWatches = new HashMap<>(ONE);
  final Map<String, Waiter> waiters = new HashMap<>(ONE);
  boolean dead;
  /** Waiters whose read is not sent yet; while one read of this line is in flight, the next ones gather here. */
  final LinkedHashSet<Waiter> toRead = new LinkedHashSet<>();
  boolean lineReading;

  /** The mirror of this line for its observers; null while it has none. */
  HeadMirror head;

  Line(Tickets tickets, String election) {
    this.tickets = tickets;
    this.election = election;
  }

  /** Ends a waiter: nothing of it acts again. */
  void finish(Waiter w) {
    w.phase = Phase.DONE;
    tickets.watches.cancel(w.predecessorWatch);
    w.predecessorWatch = null;
  }

  boolean idle() {
    return owned.isEmpty() && waiters.isEmpty() && head == null;
  }

  /** Forgets a line nobody uses any more: it holds no watch then, and costs nothing to make again. */
  void retireWhenIdle() {
    if (idle() && !dead && tickets.line(election) == this) {
      tickets.forgetLine(election);
      dead = true;
      toRead.clear();
    }
  }

  /** The session ended: fail everything and drop the watches. */
  void kill(ElectorException why) {
    dead = true;
    toRead.clear();
    for (Waiter w : waiters.values()) {
      if (w.phase != Phase.DONE) {
        finish(w);
        w.out.completeExceptionally(why);
      }
    }
    waiters.clear();
    owned.clear();
    ownWatches.values().forEach(tickets.watches::cancel);
    ownWatches.clear();
    if (head != null) {
      head.fail(why);
      head = null;
    }
  }
}
