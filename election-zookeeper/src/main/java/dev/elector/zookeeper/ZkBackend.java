package dev.elector.zookeeper;

import dev.elector.zookeeper.ZkSession.Handle;
import static dev.elector.zookeeper.TicketNames.SEQ_MARK;
import static dev.elector.zookeeper.TicketNames.TICKET_PREFIX;
import static dev.elector.zookeeper.TicketNames.exhausted;
import static dev.elector.zookeeper.TicketNames.parentOf;
import static dev.elector.zookeeper.TicketNames.participant;
import static dev.elector.zookeeper.TicketNames.sequence;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.ElectorException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import dev.elector.spi.TicketLostException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

/**
 * One Elector session over one ZooKeeper handle at a time (a new handle after each expiry).
 *
 * <p>Threading: every piece of mutable state is confined to one "actor" thread. ZooKeeper's callbacks and watch
 * events (which its event thread delivers in the order the server produced them) and the SPI calls are all posted
 * to it, so the order ZooKeeper guarantees is kept, and no lock is held while the engine's listener runs. Only
 * {@link #sessionId} and {@link #deadline} are read from other threads (volatile).
 */
final class ZkBackend implements ElectionBackend {
  /** The logger of every part of this backend. */
  static final System.Logger LOG = System.getLogger(ZkBackend.class.getName());

  private final ClientConfig config;
  private final BackendListener listener;
  private final Acls acls;
  private final Loop loop = new Loop();
  private final ZkSession session;

  /** Predecessor deletions delivered to waiting tickets: one per handoff when only the successor is woken. */
  final AtomicLong predecessorWakeups = new AtomicLong();
  /** Predecessor watches set by waiting tickets. */
  final AtomicLong predecessorWatches = new AtomicLong();
  /** Creates that were found again by their uuid after a connection loss instead of being made twice. */
  final AtomicLong recoveredCreates = new AtomicLong();
  /** Listings of an election's line sent for waiting tickets: shared by every ticket that waits for the same one. */
  final AtomicLong lineListings = new AtomicLong();

  // Actor-confined state.
  private final Map<String, TicketState> tickets = new HashMap<>();
  private final Set<HeadWatchImpl> headWatches = new HashSet<>();
  /** Ops not yet completed: each leaves the set as it completes (a scan per submit would be quadratic). */
  private final Set<Op<?>> ops = new HashSet<>();
  /** Ticket paths this backend is deleting: their deletion is no sign of our session closing. */
  private final Set<String> removing = new HashSet<>();

  private ZkBackend(ClientConfig config, BackendListener listener) {
    this.config = config;
    this.listener = listener;
    this.acls = new Acls(config);
    this.session = new ZkSession(config, listener, acls, loop, this::expired);
  }


  /** Opens a backend with a live session, waiting at most the connect timeout. */
  static ZkBackend open(ClientConfig config, BackendListener listener) {
    ZkBackend b = new ZkBackend(config, listener);
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

  // ------------------------------------------------------------------------------------------------- SPI

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
    return submit(new EnqueueOp(election, candidateId, TicketCodec.encode(candidateId, data)), null);
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (!loop.post(() -> startWait(ticket, f))) {
      f.completeExceptionally(ZkErrors.closed("Waiting for the head of election " + ticket.election()));
    }
    return f;
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    return submit(new RemoveOp(ticket), null);
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    return submit(new UpdateOp(ticket, TicketCodec.encode(ticket.candidateId(), data)), config.operationTimeout());
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    return submit(new LineOp(election), config.operationTimeout());
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener listener) {
    HeadWatchImpl w = new HeadWatchImpl(election, listener);
    if (!loop.post(() -> {
      if (session.isClosed()) {
        w.fail(ZkErrors.closed("Watching the head of election " + election));
        return;
      }
      headWatches.add(w);
      refresh(w);
    })) {
      w.fail(ZkErrors.closed("Watching the head of election " + election));
    }
    return w;
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
      taken.complete(session.shutDown(this::failPending));
    };
    if (loop.inLoop()) {
      shut.run();
    } else if (!loop.post(shut)) {
      taken.complete(null);
    }
    Handle s = null;
    try {
      s = taken.get(config.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "ZooKeeper backend did not shut down in time", e);
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
    for (TicketState st : tickets.values()) {
      st.dead = true;
      if (st.waiter != null) {
        st.waiter.completeExceptionally(lost);
      }
    }
    tickets.clear();
    removing.clear();
    for (Op<?> op : List.copyOf(ops)) {
      if (op.handle == s) {
        op.expired(lost);
      }
    }
    for (HeadWatchImpl w : List.copyOf(headWatches)) {
      if (w.handle == s) {
        w.fail(lost);
        headWatches.remove(w);
      }
    }
  }

  /** Fails everything pending. Loop thread. */
  private void failPending() {
    for (TicketState st : tickets.values()) {
      st.dead = true;
      if (st.waiter != null) {
        st.waiter.completeExceptionally(ZkErrors.closed("Waiting for the head of election " + st.ticket.election()));
      }
    }
    tickets.clear();
    for (Op<?> op : List.copyOf(ops)) {
      op.result.completeExceptionally(ZkErrors.closed(op.what));
    }
    ops.clear();
    for (HeadWatchImpl w : List.copyOf(headWatches)) {
      w.fail(ZkErrors.closed("Watching the head of election " + w.election));
    }
    headWatches.clear();
  }

  // ------------------------------------------------------------------------------------------------- lines


  /**
   * A ticket of the session.current() session: the watch on its own node and its pending {@link #awaitHead}. Kept small, one
   * per waiting candidate: the node's name, parent and uuid are not copied here but read from {@code ticket.key()}
   * when needed.
   */
  private final class TicketState implements Watcher {
    final Handle handle;
    Ticket ticket;
    /** The sequence number of our node, where a listing is searched for it. */
    long seq;
    CompletableFuture<Void> waiter;
    int gen;
    String watching;
    boolean watchingFirst;
    boolean watchingOwn;
    /** False while the watch on our own node is being set again (after a data change used it up). */
    boolean ownWatched = true;
    boolean parked;
    /** Our node was seen deleted; waiting to learn whether our session is alive (then it is lost) or not. */
    boolean dying;
    boolean dead;
    /** Waiting in its {@link Lister} for the next listing to be sent. */
    boolean queued;
    /** A create of ours was retried after a connection loss, so a twin node with our uuid may turn up in line. */
    boolean mayHaveTwin;

    TicketState(Handle handle) {
      this.handle = handle;
    }

    @Override
    public void process(WatchedEvent event) {
      // Connection state changes reach every watcher; the session's own watcher handles them.
      if (event.getType() != Watcher.Event.EventType.None) {
        loop.post(() -> onTicketEvent(this, event));
      }
    }

    boolean waiting() {
      return waiter != null && !waiter.isDone() && !dead && !dying;
    }
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
  private void evaluate(TicketState st) {
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
    String parent = parentOf(st.ticket.key());
    Lister l = st.handle.listers.get(parent);
    if (l == null) {
      l = new Lister(st.handle, parent);
      st.handle.listers.put(parent, l);
    }
    st.queued = true;
    l.next.add(st);
    if (!l.inFlight) {
      sendListing(l);
    }
  }

  /**
   * The line listings of one election node in one session. Each waiting ticket needs the line to find its
   * predecessor; one getChildren per ticket made N tickets cost N listings of up to N names each, all answered
   * by the server one after another, so joining was quadratic (issue 7). Instead at most one listing per session
   * and election node is in flight, and its reply serves every ticket that waited for it.
   *
   * <p>A ticket that needs the line while a listing is in flight waits for the next one, never the one in flight:
   * that listing may have been sent before the ticket's create was acknowledged, and then it need not contain the
   * ticket, which would read as lost; likewise it may predate a predecessor's deletion that sent the ticket here.
   * A listing sent after the ask reflects everything this session saw acknowledged before it (the server answers a
   * session's requests in order, from one server of the ensemble), which is all the old per-ticket listing gave.
   * Listings are not shared between sessions: another session may talk to a server that is behind ours.
   */
  static final class Lister {
    final Handle handle;
    final String parent;
    /** Tickets waiting for the next listing to be sent. */
    List<TicketState> next = new ArrayList<>();
    boolean inFlight;

    Lister(Handle handle, String parent) {
      this.handle = handle;
      this.parent = parent;
    }
  }

  private void sendListing(Lister l) {
    List<TicketState> batch = l.next;
    if (batch.isEmpty()) {
      l.handle.listers.remove(l.parent, l); // nothing wanted: no entry kept per election ever listed
      return;
    }
    l.next = new ArrayList<>();
    for (TicketState st : batch) {
      st.queued = false;
    }
    if (!session.up() || l.handle != session.current()) {
      // The session went down after these tickets asked: evaluate parks each until it is up again.
      l.handle.listers.remove(l.parent, l);
      batch.forEach(this::evaluate);
      return;
    }
    // Each ticket's wait generation as of this send: a wait that a later awaitHead superseded ignores the reply.
    int[] gens = new int[batch.size()];
    for (int i = 0; i < gens.length; i++) {
      gens[i] = batch.get(i).gen;
    }
    l.inFlight = true;
    lineListings.incrementAndGet();
    Handle s = l.handle;
    s.zk.getChildren(l.parent, false,
        (rc, path, ctx, children) -> loop.post(() -> onListing(l, batch, gens, rc, children)), null);
  }

  private void onListing(Lister l, List<TicketState> batch, int[] gens, int rc, List<String> children) {
    l.inFlight = false;
    Code code = Code.get(rc);
    Listing line = code == Code.OK ? Listing.of(children) : null;
    for (int i = 0; i < gens.length; i++) {
      TicketState st = batch.get(i);
      // queued: it asked again after this listing was sent, and the next listing answers it.
      if (gens[i] == st.gen && st.waiting() && !st.queued) {
        onLine(st, gens[i], code, line);
      }
    }
    if (l.handle == session.current()) {
      sendListing(l); // the tickets that asked while this one was in flight
    }
  }

  private void onLine(TicketState st, int g, Code code, Listing line) {
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
        confirmLost(st, "its election node was deleted");
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
      confirmLost(st, "it is no longer in line");
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
        confirmLost(st, "its node was deleted by another client");
      } else if (type == Watcher.Event.EventType.NodeDataChanged) {
        watchOwn(st);
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
    boolean safe = st.ownWatched && (!st.watchingOwn || removing.contains(pred));
    if (st.watchingFirst && safe) {
      // Fast handoff: the predecessor was first when we listed the line, and ZooKeeper only appends larger
      // sequence numbers, so we are first now. No listing, no re-read of our node: our node's own watch would have
      // told us first (events of one session arrive in order) if it were gone.
      headReached(st);
    } else {
      evaluate(st);
    }
  }

  /** (Re)sets the watch on the ticket's own node, which reports an external delete. */
  private void watchOwn(TicketState st) {
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
  private void confirmLost(TicketState st, String why) {
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
          session.whenUp(() -> lose(st, why)); // no deadline proven yet: the next heartbeat of this connection brings it
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

  // ------------------------------------------------------------------------------------------------- operations

  /** A request that is retried, from where it stopped, after a connection loss. */
  private abstract class Op<T> {
    final String what;
    final CompletableFuture<T> result = new CompletableFuture<>();
    /** The session the op belongs to; null until it first runs. */
    Handle handle;
    int attempt;
    boolean parked;

    Op(String what) {
      this.what = what;
    }

    /** Issues the op's requests in {@code s}; callbacks check {@link #stale(int)}. */
    abstract void run(Handle s, int attempt);

    /** Called once, on the actor, when the op is accepted, before it first runs (which may wait for the session). */
    void accepted() {}

    /** Its session expired: by default the op fails. */
    void expired(SessionLostException e) {
      result.completeExceptionally(e);
    }

    boolean stale(int a) {
      return a != attempt || result.isDone() || session.isClosed();
    }

    /** Handles a failed request: parks on connection loss, waits for the Expired event, fails otherwise. */
    void failed(Code code, String path) {
      switch (code) {
        case CONNECTIONLOSS -> park(this);
        case SESSIONEXPIRED -> {}
        default -> result.completeExceptionally(ZkErrors.translate(what, code, path));
      }
    }
  }

  private <T> CompletionStage<T> submit(Op<T> op, Duration timeout) {
    if (!loop.post(() -> {
      if (session.isClosed()) {
        op.result.completeExceptionally(ZkErrors.closed(op.what));
        return;
      }
      ops.add(op);
      // Completions run on the actor (callbacks post to it, the timeout below is scheduled on it); a stage completed
      // elsewhere by its holder still leaves the set on the actor.
      op.result.whenComplete((v, e) -> {
        if (loop.inLoop()) {
          ops.remove(op);
        } else {
          loop.post(() -> ops.remove(op));
        }
      });
      op.handle = session.current();
      op.accepted();
      start(op);
    })) {
      op.result.completeExceptionally(ZkErrors.closed(op.what));
    }
    if (timeout != null) {
      try {
        ScheduledFuture<?> timer = loop.schedule(() -> op.result.completeExceptionally(ZkErrors.translate(op.what,
            new TimeoutException("operationTimeout=" + timeout + " passed"))), timeout.toNanos(), TimeUnit.NANOSECONDS);
        op.result.whenComplete((v, e) -> timer.cancel(false));
      } catch (RejectedExecutionException e) {
        op.result.completeExceptionally(ZkErrors.closed(op.what));
      }
    }
    return op.result;
  }

  private void start(Op<?> op) {
    if (op.result.isDone()) {
      return;
    }
    if (!session.up()) {
      park(op);
      return;
    }
    if (op.handle == null) {
      op.handle = session.current();
    } else if (op.handle != session.current()) {
      return; // its session expired; expire() has dealt with it
    }
    op.run(session.current(), ++op.attempt);
  }

  private void park(Op<?> op) {
    if (!op.parked && !op.result.isDone()) {
      op.parked = true;
      session.whenUp(() -> {
        op.parked = false;
        start(op);
      });
    }
  }

  /**
   * Creates the ticket node. After a connection loss the create may or may not have been applied, so the retry
   * first looks for a node carrying this call's uuid (rule 1.5: never an orphan, never two tickets).
   */
  private final class EnqueueOp extends Op<Ticket> {
    final String election;
    final String candidateId;
    final String parent;
    final String uuid = UUID.randomUUID().toString();
    final byte[] bytes;
    TicketState st;
    boolean sent;
    /** A create was sent whose outcome the connection loss hid: it may still be applied after our retry. */
    boolean uncertain;
    int parentAttempts;
    /** NONODE answers while creating the election node's ancestors (each missing one costs one). */
    int missingAncestors;

    EnqueueOp(String election, String candidateId, byte[] bytes) {
      super("Joining election '" + election + "' as candidate '" + candidateId + "'");
      this.election = election;
      this.candidateId = candidateId;
      this.parent = TicketNames.electionPath(config.root(), election);
      this.bytes = bytes;
    }

    @Override
    void run(Handle s, int a) {
      if (st == null) {
        st = new TicketState(s);
      }
      if (sent) {
        uncertain = true;
        find(s, a);
      } else {
        create(s, a);
      }
    }

    void create(Handle s, int a) {
      sent = true;
      s.zk.create(parent + "/" + uuid + SEQ_MARK, bytes, acls.ticketAcl, CreateMode.EPHEMERAL_SEQUENTIAL,
          (rc, path, ctx, name, stat) -> loop.post(() -> {
            if (stale(a)) {
              return;
            }
            Code code = Code.get(rc);
            if (code == Code.OK) {
              watch(s, a, name);
            } else if (code == Code.NONODE) {
              sent = false; // the parent is missing, so nothing was created
              if (++parentAttempts > 5) {
                result.completeExceptionally(ZkErrors.translate(what + " (its parent kept vanishing)", code, parent));
              } else {
                createParents(s, a, () -> create(s, a));
              }
            } else {
              failed(code, path);
            }
          }), null);
    }

    void find(Handle s, int a) {
      // The reconnect moved the session to this connection, so the leader now refuses the lost create if it had
      // not been applied yet; sync makes the server we talk to apply everything the leader has, so the listing
      // shows the node if and only if it exists.
      s.zk.sync(parent, (rc, path, ctx) -> loop.post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.OK || code == Code.NONODE) {
          list(s, a);
        } else {
          failed(code, path);
        }
      }), null);
    }

    void list(Handle s, int a) {
      s.zk.getChildren(parent, false, (rc, path, ctx, children) -> loop.post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.NONODE) {
          create(s, a);
          return;
        }
        if (code != Code.OK) {
          failed(code, path);
          return;
        }
        for (String c : children) {
          if (c.startsWith(uuid + SEQ_MARK)) {
            recoveredCreates.incrementAndGet();
            watch(s, a, parent + "/" + c);
            return;
          }
        }
        create(s, a);
      }), null);
    }

    void createParents(Handle s, int a, Runnable then) {
      List<String> paths = new ArrayList<>();
      for (int i = parent.indexOf('/', 1); i > 0; i = parent.indexOf('/', i + 1)) {
        paths.add(parent.substring(0, i));
      }
      paths.add(parent);
      // The election node first: usually only it is missing (a new election under an existing root), and starting at
      // the root would cost a request per ancestor for every new election.
      createChain(s, a, paths, paths.size() - 1, then);
    }

    void createChain(Handle s, int a, List<String> paths, int i, Runnable then) {
      if (i == paths.size()) {
        then.run();
        return;
      }
      // Containers: the server removes an election's node once its last ticket is gone.
      s.zk.create(paths.get(i), new byte[0], acls.parentAcl, CreateMode.CONTAINER, (rc, path, ctx, name) -> loop.post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.OK || code == Code.NODEEXISTS) {
          createChain(s, a, paths, i + 1, then);
        } else if (code == Code.NONODE && i > 0 && ++missingAncestors <= 5 + paths.size()) {
          createChain(s, a, paths, i - 1, then); // its parent is missing (or was removed meanwhile): that one first
        } else {
          failed(code, path);
        }
      }), null);
    }

    /** Sets the watch on our new node and learns its czxid and owner in the same round trip. */
    void watch(Handle s, int a, String path) {
      s.zk.getData(path, st, (rc, p, ctx, data, stat) -> loop.post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code != Code.OK) {
          failed(code, p);
          return;
        }
        if (stat.getEphemeralOwner() != s.id) {
          result.completeExceptionally(new ElectorException(what + " failed: node " + p
              + " carries this call's uuid but belongs to session 0x" + Long.toHexString(stat.getEphemeralOwner())));
          return;
        }
        long seq = sequence(p.substring(p.lastIndexOf('/') + 1));
        if (exhausted(seq)) {
          // Its place in line cannot be told from its name: refuse it rather than risk two tickets each believing
          // it is first. The election node is a container, so the server removes it (and the counter) once empty.
          s.zk.delete(p, -1, (rc2, p2, ctx2) -> {}, null);
          result.completeExceptionally(new ElectorException(what + " failed: the sequence counter of election node "
              + parentOf(p) + " is exhausted (ZooKeeper numbers children with a 32-bit counter that stops at "
              + Integer.MAX_VALUE + "); it resets when the node is deleted, which the server does once no ticket is "
              + "left in it (tokens keep increasing across that: they are zxids)"));
          return;
        }
        st.ticket = new Ticket(election, candidateId, p, stat.getCzxid(), s.id);
        st.seq = seq;
        st.mayHaveTwin = uncertain;
        tickets.put(p, st);
        result.complete(st.ticket);
      }), null);
    }
  }

  private final class RemoveOp extends Op<Void> {
    final Ticket ticket;

    RemoveOp(Ticket ticket) {
      super("Removing ticket " + ticket.key());
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
      s.zk.delete(ticket.key(), -1, (rc, path, ctx) -> loop.post(() -> {
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

  private final class UpdateOp extends Op<Void> {
    final Ticket ticket;
    final byte[] bytes;

    UpdateOp(Ticket ticket, byte[] bytes) {
      super("Updating the data of ticket " + ticket.key());
      this.ticket = ticket;
      this.bytes = bytes;
    }

    @Override
    void run(Handle s, int a) {
      if (s.id != ticket.sessionId()) {
        result.completeExceptionally(new SessionLostException(what + " failed: its session expired", true));
        return;
      }
      s.zk.setData(ticket.key(), bytes, -1, (rc, path, ctx, stat) -> loop.post(() -> {
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

  private final class LineOp extends Op<List<Participant>> {
    final String election;
    final String parent;

    LineOp(String election) {
      super("Listing the line of election '" + election + "'");
      this.election = election;
      this.parent = TicketNames.electionPath(config.root(), election);
    }

    @Override
    void run(Handle s, int a) {
      s.zk.getChildren(parent, false, (rc, path, ctx, children) -> loop.post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.NONODE) {
          result.complete(List.of());
        } else if (code != Code.OK) {
          failed(code, path);
        } else {
          read(s, a, Listing.inLine(children));
        }
      }), null);
    }

    void read(Handle s, int a, List<String> names) {
      if (names.isEmpty()) {
        result.complete(List.of());
        return;
      }
      Participant[] got = new Participant[names.size()];
      int[] left = {names.size()};
      for (int i = 0; i < names.size(); i++) {
        int k = i;
        String name = names.get(i);
        s.zk.getData(parent + "/" + name, false, (rc, path, ctx, data, stat) -> loop.post(() -> {
          if (stale(a)) {
            return;
          }
          Code code = Code.get(rc);
          if (code == Code.OK) {
            got[k] = participant(election, name, data, stat);
          } else if (code != Code.NONODE) { // NONODE: left the line meanwhile
            failed(code, path);
            return;
          }
          if (--left[0] == 0) {
            List<Participant> out = new ArrayList<>();
            for (Participant p : got) {
              if (p != null) {
                out.add(p);
              }
            }
            result.complete(List.copyOf(out));
          }
        }), null);
      }
    }

    @Override
    void expired(SessionLostException e) {
      handle = null; // not tied to a session: run again in the next one
      park(this);
    }
  }

  // ------------------------------------------------------------------------------------------------- head watch

  /** Watches an election's head: a children watch on the election node and a data watch on the head's node. */
  private final class HeadWatchImpl implements HeadWatch, Watcher {
    final String election;
    final String parent;
    final HeadListener listener;
    volatile boolean cancelled;
    Handle handle;
    boolean inFlight;
    boolean dirty;
    boolean parked;
    boolean dead;
    String headName;
    Participant headValue;
    boolean headStale;
    Optional<Participant> last;

    HeadWatchImpl(String election, HeadListener listener) {
      this.election = election;
      this.parent = TicketNames.electionPath(config.root(), election);
      this.listener = listener;
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

    @Override
    public void cancel() {
      synchronized (this) {
        cancelled = true;
      }
      loop.post(() -> {
        dead = true;
        headWatches.remove(this);
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

    void deliver(Optional<Participant> head) {
      if (head.equals(last)) {
        return;
      }
      last = head;
      // Held while calling so that no call starts after cancel() returns; the engine's listener only posts.
      synchronized (this) {
        if (!cancelled) {
          try {
            listener.headChanged(head);
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Head listener failed", e);
          }
        }
      }
    }

    void fail(Throwable cause) {
      dead = true;
      synchronized (this) {
        if (!cancelled) {
          cancelled = true;
          try {
            listener.failed(cause);
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Head listener failed", e);
          }
        }
      }
    }
  }

  private void refresh(HeadWatchImpl w) {
    if (w.dead || w.cancelled) {
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

  private void parkHead(HeadWatchImpl w) {
    if (!w.parked) {
      w.parked = true;
      session.whenUp(() -> {
        w.parked = false;
        refresh(w);
      });
    }
  }

  private void onHeadLine(HeadWatchImpl w, Handle s, int rc, List<String> children) {
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

  private void headRetry(HeadWatchImpl w, Code code, String path) {
    w.inFlight = false;
    switch (code) {
      case NONODE -> refresh(w); // the head left, or the election node appeared, between two reads
      case CONNECTIONLOSS -> parkHead(w);
      case SESSIONEXPIRED -> {}
      default -> {
        headWatches.remove(w);
        w.fail(ZkErrors.translate("Watching the head of election '" + w.election + "'", code, path));
      }
    }
  }

  private void headDone(HeadWatchImpl w, Optional<Participant> head) {
    w.inFlight = false;
    w.deliver(head);
    if (w.dirty) {
      refresh(w);
    }
  }
}
