package dev.elector.zookeeper;

import dev.elector.spi.Ticket;
import dev.elector.zookeeper.ZkSession.Handle;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * A ticket of the current session: the watch on its own node and its pending {@code awaitHead}. Kept small, one per
 * waiting candidate: the node's name, parent and uuid are not copied here but read from {@code ticket.key()} when
 * needed. It is the watcher of both its own node and its predecessor; {@link HeadWait} handles both. Loop-confined.
 */
final class TicketState implements Watcher {
  final Handle handle;
  private final HeadWait waits;
  Ticket ticket;
  /** The sequence number of our node, where a listing is searched for it. */
  long seq;
  /** The pending {@code awaitHead}, or null. */
  CompletableFuture<Void> waiter;
  /**
   * The wait generation: one more at each {@code awaitHead}, which supersedes the one before. A listing or
   * predecessor read carries the generation it was sent for and is ignored once it differs.
   */
  int gen;
  /** The predecessor's node whose deletion this ticket watches for, or null. */
  String watching;
  /** The predecessor was first in line when it was chosen: its deletion makes us first (fast handoff). */
  boolean watchingFirst;
  /** The predecessor belongs to our own session (its deletion may be our session closing). */
  boolean watchingOwn;
  /** False while the watch on our own node is being set again (after a data change used it up). */
  boolean ownWatched = true;
  /** Waiting for the session to be up again before re-evaluating. */
  boolean parked;
  /** Our node was seen deleted; waiting to learn whether our session is alive (then it is lost) or not. */
  boolean dying;
  /** Removed, lost or expired: nothing more happens to this ticket. */
  boolean dead;
  /** Waiting in its {@link LineReader.Lister} for the next listing to be sent. */
  boolean queued;
  /** A create of ours was retried after a connection loss, so a twin node with our uuid may turn up in line. */
  boolean mayHaveTwin;

  TicketState(Handle handle, HeadWait waits) {
    this.handle = handle;
    this.waits = waits;
  }

  @Override
  public void process(WatchedEvent event) {
    // Connection state changes reach every watcher; the session's own watcher handles them.
    if (event.getType() != Watcher.Event.EventType.None) {
      waits.post(this, event);
    }
  }

  /** True while an {@code awaitHead} is pending and the ticket is neither gone nor being confirmed lost. */
  boolean waiting() {
    return waiter != null && !waiter.isDone() && !dead && !dying;
  }
}
