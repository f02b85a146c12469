package dev.elector.zookeeper;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.zookeeper.ZkSession.Handle;
import org.apache.zookeeper.ZooKeeper;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ZooKeeper {@link ElectionBackend}: wires its parts and hands each SPI call to the one that owns it.
 * <ul>
 *   <li>{@link ZkSession}: one ZooKeeper handle at a time (a new one after each expiry), its states and deadline;
 *   <li>{@link Enqueue}: the orphan-proof create of a ticket;
 *   <li>{@link HeadWait}: {@code awaitHead}, watching only the predecessor;
 *   <li>{@link Tickets}: the session's tickets after their create: external deletes, removal, data updates;
 *   <li>{@link LineReader}: the line, shared by waiting tickets, and {@code line()};
 *   <li>{@link HeadWatches}: {@code watchHead};
 *   <li>{@link Ops}: requests that resume after a connection loss; {@link Loop}: the thread all of them run on.
 * </ul>
 * Every piece of mutable state is confined to the {@link Loop}; only the session id and deadline are read from other
 * threads (volatile).
 */
final class ZkBackend implements ElectionBackend {
  /** The logger of every part of this backend. */
  static final System.Logger LOG = System.getLogger(ZkBackend.class.getName());

  private final ClientConfig config;
  private final Loop loop;
  private final ZkSession session;
  private final Ops ops;
  private final Tickets tickets;
  private final LineReader lines;
  private final HeadWait headWait;
  private final Enqueue enqueue;
  private final HeadWatches headWatches;

  /** Predecessor deletions delivered to waiting tickets: one per handoff when only the successor is woken. */
  final AtomicLong predecessorWakeups = new AtomicLong();
  /** Predecessor watches set by waiting tickets. */
  final AtomicLong predecessorWatches = new AtomicLong();
  /** Creates that were found again by their uuid after a connection loss instead of being made twice. */
  final AtomicLong recoveredCreates = new AtomicLong();
  /** Listings of an election's line sent for waiting tickets: shared by every ticket that waits for the same one. */
  final AtomicLong lineListings = new AtomicLong();

  private ZkBackend(ClientConfig config, BackendListener listener, Loop loop) {
    this.config = config;
    this.loop = loop;
    Acls acls = new Acls(config);
    session = new ZkSession(config, listener, acls, loop, this::expired);
    ops = new Ops(session, loop);
    tickets = new Tickets(session, loop, ops, listener);
    lines = new LineReader(session, loop, ops, config.root(), lineListings);
    headWait = new HeadWait(session, loop, tickets, lines, predecessorWatches, predecessorWakeups);
    enqueue = new Enqueue(ops, acls, tickets, headWait, config.root(), recoveredCreates);
    headWatches = new HeadWatches(session, loop, config.root());
  }

  /** Opens a backend with a live session on {@code loop}, waiting at most the connect timeout. */
  static ZkBackend open(ClientConfig config, BackendListener listener, Loop loop) {
    ZkBackend b = new ZkBackend(config, listener, loop);
    b.session.start();
    try {
      b.session.firstUp().get(config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
      return b;
    } catch (TimeoutException e) {
      b.session.silence();
      b.close();
      throw ZkErrors.translate("Opening a ZooKeeper session with " + config.endpoints(),
          new TimeoutException("no session within connectTimeout=" + config.connectTimeout()));
    } catch (ExecutionException e) {
      b.session.silence();
      b.close();
      throw ZkErrors.translate("Connecting to ZooKeeper at " + config.endpoints(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      b.session.silence();
      b.close();
      throw new BackendUnavailableException("Interrupted while connecting to ZooKeeper at " + config.endpoints(), e);
    }
  }

  @Override
  public long sessionId() {
    return session.id();
  }

  @Override
  public long sessionDeadline() {
    return session.deadline();
  }

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    return enqueue.submit(election, candidateId, data);
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    return headWait.await(ticket);
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    return tickets.remove(ticket);
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    return tickets.update(ticket, data, config.operationTimeout());
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    return lines.participants(election, config.operationTimeout());
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener listener) {
    return headWatches.watch(election, listener);
  }

  @Override
  public void close() {
    if (!session.markClosed()) {
      return;
    }
    CompletableFuture<Handle> taken = new CompletableFuture<>();
    boolean[] wasUp = {false};
    Runnable shut = () -> {
      wasUp[0] = session.up();
      Handle h = session.shutDown(this::failPending);
      if (!taken.complete(h) && h != null && h.zk != null) {
        session.closeHandle(h, false); // ran late: the closing thread gave up waiting
      }
    };
    if (loop.inLoop()) {
      shut.run();
    } else if (!loop.post(shut)) {
      taken.complete(null);
    }
    Handle s = null;
    boolean gaveUp = false;
    try {
      s = taken.get(config.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      gaveUp = true;
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "ZooKeeper backend did not shut down in time; closing its handle", e);
      gaveUp = true;
    } catch (ExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "ZooKeeper backend did not shut down", e);
    }
    if (gaveUp) {
      if (taken.complete(null)) {
        // The loop is held (a callback on a direct executor runs on the engine's thread, which this backend
        // shares) or gone. Close the newest handle from here all the same: left open, ZooKeeper's own thread
        // would keep the session, and our tickets in line, alive after the client closed. If shut runs later, it
        // closes the handle it takes itself.
        ZooKeeper zk = session.newest();
        if (zk != null) {
          session.closeZooKeeper(zk, false);
        }
      } else {
        s = taken.getNow(null); // shut ran just now
      }
    }
    long id = s == null ? 0 : s.id;
    if (s != null && s.zk != null) {
      if (wasUp[0]) {
        // Closing the session makes the server delete its ephemeral tickets at once: successors need not wait for
        // the session timeout.
        session.closeHandle(s, true);
      } else {
        // Cut off: the close request would wait for a reconnect that may never come. The server expires the
        // session after its timeout; close the handle in the background.
        session.closeHandle(s, false);
      }
    }
    loop.post(() -> session.emit(SessionEvent.Kind.CLOSED, id));
    loop.shutdown();
  }

  /** Fails what waited on the expired handle {@code s}: its tickets, requests and head watches. Loop thread. */
  private void expired(Handle s, SessionLostException lost) {
    tickets.expired(lost);
    ops.expired(s, lost);
    headWatches.expired(s, lost);
  }

  /** Fails everything pending: the backend is closing. Loop thread. */
  private void failPending() {
    tickets.closeAll();
    ops.closeAll();
    headWatches.closeAll();
  }
}
