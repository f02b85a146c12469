package dev.elector.zookeeper;

import static dev.elector.zookeeper.TicketNames.participant;

import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.support.HeadPublisher;
import dev.elector.zookeeper.ZkSession.Handle;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * {@code watchHead}: observers of an election's head. Each {@link Watch} holds a children watch on the election
 * node (or an existence watch while there is none) and a data watch on the head's node, and re-reads on every event,
 * one read in flight at a time, and reports what it reads through its {@link HeadPublisher}, the {@link HeadWatch}
 * handed out (which drops repeats, calls nothing after cancel and fails once). Loop-confined, except the publisher.
 *
 * <p>Invariant: a watch belongs to one session and fails when it expires.
 */
final class HeadWatches {

  private final ZkSession session;
  private final Loop loop;
  private final String root;
  private final Set<Watch> watches = new HashSet<>();

  HeadWatches(ZkSession session, Loop loop, String root) {
    this.session = session;
    this.loop = loop;
    this.root = root;
  }

  /** Watches the head of {@code election}; {@code listener} hears each new head. Any thread. */
  HeadWatch watch(String election, HeadListener listener) {
    Watch w = new Watch(election);
    w.out = new HeadPublisher(listener, p -> w.cancelled());
    if (!loop.post(() -> {
      if (session.isClosed()) {
        w.fail(ZkErrors.closed("Watching the head of election " + election));
        return;
      }
      watches.add(w);
      refresh(w);
    })) {
      w.fail(ZkErrors.closed("Watching the head of election " + election));
    }
    return w.out;
  }

  /** The session of {@code s} expired: each of its watches fails with {@code lost}. Loop thread. */
  void expired(Handle s, SessionLostException lost) {
    for (Watch w : List.copyOf(watches)) {
      if (w.handle == s) {
        w.fail(lost);
        watches.remove(w);
      }
    }
  }

  /** The backend closed: every watch fails. Loop thread. */
  void closeAll() {
    for (Watch w : List.copyOf(watches)) {
      w.fail(ZkErrors.closed("Watching the head of election " + w.election));
    }
    watches.clear();
  }

  /** Watches an election's head: a children watch on the election node and a data watch on the head's node. */
  final class Watch implements Watcher {
    final String election;
    final String parent;
    /** What the engine holds; set once, before the watch is posted to the loop. */
    HeadPublisher out;
    Handle handle;
    boolean inFlight;
    boolean dirty;
    boolean parked;
    boolean dead;
    String headName;
    Participant headValue;
    boolean headStale;

    Watch(String election) {
      this.election = election;
      this.parent = TicketNames.electionPath(root, election);
    }

    @Override
    public void process(WatchedEvent event) {
      if (event.getType() == Watcher.Event.EventType.None) {
        return;
      }
      loop.post(() -> {
        if (event.getType() == Watcher.Event.EventType.NodeDataChanged && headName != null
            && event.getPath().equals(parent + "/" + headName)) {
          headStale = true;
        }
        refresh(this);
      });
    }

    /** The engine cancelled: drop the watch. Called once, on the engine's thread. */
    void cancelled() {
      loop.post(() -> {
        dead = true;
        watches.remove(this);
        Handle s = handle;
        if (s != null && s == session.current()) {
          // Drop the client-side watch entries at once; the server forgets its side when they fire or the session
          // ends.
          s.zk.removeWatches(parent, this, Watcher.WatcherType.Any, true, (rc, path, ctx) -> {}, null);
          if (headName != null) {
            s.zk.removeWatches(parent + "/" + headName, this, Watcher.WatcherType.Any, true, (rc, path, ctx) -> {},
                null);
          }
        }
      });
    }

    /** Reports {@code head}; the publisher drops it if it repeats the last report or the watch has ended. */
    void deliver(Optional<Participant> head) {
      out.publish(head);
    }

    /** Ends the watch with {@code cause}, reported at most once and never after cancel. */
    void fail(Throwable cause) {
      dead = true;
      out.fail(cause);
    }
  }

  private void refresh(Watch w) {
    if (w.dead || w.out.ended()) {
      return;
    }
    if (!session.up()) {
      parkHead(w);
      return;
    }
    if (w.handle == null) {
      w.handle = session.current();
    } else if (w.handle != session.current()) {
      return;
    }
    if (w.inFlight) {
      w.dirty = true;
      return;
    }
    w.inFlight = true;
    w.dirty = false;
    Handle s = w.handle;
    s.zk.getChildren(w.parent, w, (rc, path, ctx, children) -> loop.post(() -> onHeadLine(w, s, rc, children)), null);
  }

  private void parkHead(Watch w) {
    if (!w.parked) {
      w.parked = true;
      session.whenUp(() -> {
        w.parked = false;
        refresh(w);
      });
    }
  }

  private void onHeadLine(Watch w, Handle s, int rc, List<String> children) {
    if (w.dead) {
      return;
    }
    Code code = Code.get(rc);
    if (code == Code.OK) {
      String name = Listing.head(children);
      if (name == null) {
        headDone(w, Optional.empty());
        return;
      }
      if (name.equals(w.headName) && !w.headStale && w.headValue != null) {
        headDone(w, Optional.of(w.headValue));
        return;
      }
      s.zk.getData(w.parent + "/" + name, w, (rc2, p, ctx, data, stat) -> loop.post(() -> {
        if (w.dead) {
          return;
        }
        Code c2 = Code.get(rc2);
        if (c2 == Code.OK) {
          w.headName = name;
          w.headStale = false;
          w.headValue = participant(w.election, name, data, stat);
          headDone(w, Optional.of(w.headValue));
        } else {
          headRetry(w, c2, p);
        }
      }), null);
    } else if (code == Code.NONODE) {
      // No election node yet: watch for its creation. exists leaves a watch whether or not the node is there.
      s.zk.exists(w.parent, w, (rc2, p, ctx, stat) -> loop.post(() -> {
        if (w.dead) {
          return;
        }
        Code c2 = Code.get(rc2);
        if (c2 == Code.NONODE) {
          headDone(w, Optional.empty());
        } else {
          headRetry(w, c2 == Code.OK ? Code.NONODE : c2, p); // created meanwhile: list it
        }
      }), null);
    } else {
      headRetry(w, code, w.parent);
    }
  }

  private void headRetry(Watch w, Code code, String path) {
    w.inFlight = false;
    switch (code) {
      case NONODE -> refresh(w); // the head left, or the election node appeared, between two reads
      case CONNECTIONLOSS -> parkHead(w);
      case SESSIONEXPIRED -> {}
      default -> {
        watches.remove(w);
        w.fail(ZkErrors.translate("Watching the head of election '" + w.election + "'", code, path));
      }
    }
  }

  private void headDone(Watch w, Optional<Participant> head) {
    w.inFlight = false;
    w.deliver(head);
    if (w.dirty) {
      refresh(w);
    }
  }
}
