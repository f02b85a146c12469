package dev.elector.zookeeper;

import static dev.elector.zookeeper.Heartbeats.heartbeatGapNanos;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.support.Backoff;
import dev.elector.spi.support.SessionClock;
import dev.elector.zookeeper.Heartbeats.Beat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * The Elector session: one ZooKeeper handle at a time (a new one after each expiry), its connection states, and the
 * session deadline derived from the negotiated timeout and moved forward by what its {@link Heartbeats heartbeat}
 * proves.
 *
 * <p>Invariants: {@link #deadline()} is in the past before SUSPENDED, EXPIRED or CLOSED is delivered, and it moves
 * forward only on a heartbeat whose answer proves the ensemble's leader held the session (see {@link #proved}); only
 * {@link #id()} and {@link #deadline()} are read off the loop (volatile), everything else is confined to it.
 */
final class ZkSession {
  private static final System.Logger LOG = ZkBackend.LOG;
  /** A new handle after a failed one: at once the first time, then after 0 to 200 ms, 400 ms, … up to 5 s. */
  private static final Backoff RECONNECT = new Backoff(100, 5_000);
  /** The largest reply our ZooKeeper handle accepts: a listing of about a million tickets. */
  static final int MAX_REPLY_BYTES = 64 << 20;

  private final ClientConfig config;
  private final BackendListener listener;
  private final String connectString;
  private final Acls acls;
  private final Loop loop;
  /** Fails what the expired handle's tickets, requests and head watches were waiting for; called on the loop. */
  private final BiConsumer<Handle, SessionLostException> onExpired;
  /** Sends the syncs whose answers {@link #proved} turns into the deadline. */
  private final Heartbeats heartbeats;

  private volatile long sessionId;
  private volatile long deadline = System.nanoTime() - 1;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set when opening gives up: the engine never saw this backend, so it gets no events. */
  private volatile boolean silent;

  // Loop-confined state.
  private Handle current;
  /**
   * The newest ZooKeeper handle made, for a close whose loop is held (see {@link ZkBackend#close}): written on the
   * loop, read by the closing thread.
   */
  private volatile ZooKeeper newest;
  private boolean up;
  private int reconnectFailures;
  private final List<Runnable> whenUp = new ArrayList<>();
  private final CompletableFuture<Void> firstUp = new CompletableFuture<>();

  ZkSession(ClientConfig config, BackendListener listener, Acls acls, Loop loop,
      BiConsumer<Handle, SessionLostException> onExpired) {
    this.config = config;
    this.listener = listener;
    this.connectString = String.join(",", config.endpoints());
    this.acls = acls;
    this.loop = loop;
    this.onExpired = onExpired;
    this.heartbeats = new Heartbeats(this, loop);
  }

  /** The id of the session while it is open, else 0. Any thread. */
  long id() {
    return sessionId;
  }

  /** Until when the session is known to be alive, in {@link System#nanoTime()} terms. Any thread. */
  long deadline() {
    return deadline;
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Marks the session closed; false if it already was. Any thread. */
  boolean markClosed() {
    return closed.compareAndSet(false, true);
  }

  /** No event reaches the engine from now on: it never saw this backend. */
  void silence() {
    silent = true;
  }

  /** Completes when the first session is proven alive; fails if it cannot be opened. */
  CompletableFuture<Void> firstUp() {
    return firstUp;
  }

  /** Opens the first handle. */
  void start() {
    loop.post(this::newSession);
  }

  /** True while the current handle is connected and its session proven alive. Loop thread. */
  boolean up() {
    return up;
  }

  /** The handle of the open session, or null between an expiry and the next handle. Loop thread. */
  Handle current() {
    return current;
  }

  /** Parks {@code r} until the session is up again. Loop thread. */
  void whenUp(Runnable r) {
    whenUp.add(r);
  }

  /** One ZooKeeper handle and what this backend knows about its session. Its fields are confined to the loop. */
  final class Handle implements Watcher {
    ZooKeeper zk;
    long id;
    /** The least timeout any member granted this session, in ms; 0 before the first connect. */
    int timeoutMillis;
    boolean connected;
    boolean everUp;
    boolean expired;
    /** When {@code new ZooKeeper} was called: the ensemble's leader created the session later than this. */
    long createdAt;
    /** Connections of this handle so far: one more at each SyncConnected. A heartbeat proves touches of its own. */
    int connection;
    /** The connection whose heartbeat is in flight, or -1: one heartbeat in flight per connection. */
    int heartbeatOn = -1;
    /** The newest answered heartbeat of the current connection and the one before it; null if none yet. */
    Beat last;
    Beat prev;
    /** The line listings of this session, by election node path; an entry lives while a listing is wanted. */
    final Map<String, LineReader.Lister> listers = new HashMap<>();
    /** When this backend last suspended the session itself; only requests sent later may end the suspension. */
    long suspendedAt = System.nanoTime();
    ScheduledFuture<?> timer;

    @Override
    public void process(WatchedEvent event) {
      loop.post(() -> onState(this, event));
    }
  }

  private void newSession() {
    if (closed.get()) {
      return;
    }
    Handle s = new Handle();
    current = s;
    ZKClientConfig zc = new ZKClientConfig();
    // Without a JAAS file the client would log a SASL warning on every connect; Elector authenticates by digest.
    zc.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
    // A line listing carries every ticket's name (about 53 bytes each). With ZooKeeper's default reply limit of
    // 1 MiB the client drops the connection on every listing of an election past about 19,800 tickets, so no ticket
    // there could ever find its place or lead. The server sets no limit on replies; ours is raised (a larger
    // jute.maxbuffer system property still wins).
    if (zc.getInt(ZKClientConfig.JUTE_MAXBUFFER, ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT) < MAX_REPLY_BYTES) {
      zc.setProperty(ZKClientConfig.JUTE_MAXBUFFER, Integer.toString(MAX_REPLY_BYTES));
    }
    try {
      s.createdAt = System.nanoTime();
      s.zk = new ZooKeeper(connectString, (int) config.sessionTimeout().toMillis(), s, zc);
      newest = s.zk;
      if (closed.get()) {
        // A close that could not wait for the loop read the handle before this one: close this one too.
        closeZooKeeper(s.zk, false);
      }
      acls.authenticate(s.zk);
    } catch (IOException | RuntimeException e) {
      current = null;
      if (!firstUp.isDone()) {
        firstUp.completeExceptionally(new BackendUnavailableException(
            "Cannot connect to ZooKeeper at " + config.endpoints() + ": " + e.getMessage(), e));
      } else {
        LOG.log(System.Logger.Level.WARNING, "Cannot open a new ZooKeeper handle; retrying", e);
        scheduleReconnect();
      }
    }
  }

  private void onState(Handle s, WatchedEvent e) {
    if (s != current || closed.get()) {
      return;
    }
    switch (e.getState()) {
      case SyncConnected -> {
        s.connected = true;
        // A new connection: heartbeats of earlier ones prove nothing about touches sent over this one.
        s.connection++;
        s.last = null;
        s.prev = null;
        if (s.id == 0) {
          s.id = s.zk.getSessionId();
        }
        // Every connect negotiates anew: a member with other limits may grant less. The leader expires the session
        // by the timeout in the touch it received last, and a touch relayed late by the member we left carries that
        // member's grant, so the least grant seen since the session began bounds them all.
        int granted = s.zk.getSessionTimeout();
        if (s.timeoutMillis == 0 || granted < s.timeoutMillis) {
          s.timeoutMillis = granted;
          if (granted != config.sessionTimeout().toMillis()) {
            LOG.log(System.Logger.Level.INFO, "ZooKeeper session 0x{0} was granted a timeout of {1} ms (asked for "
                + "{2} ms); session deadlines use {1} ms", Long.toHexString(s.id), granted,
                config.sessionTimeout().toMillis());
          }
        }
        if (s.timer != null) {
          s.timer.cancel(false);
        }
        heartbeats.heartbeat(s);
      }
      case Disconnected -> {
        s.connected = false;
        if (up) {
          up = false;
          // The deadline goes first: isValid() must be false before anyone hears of the suspension (rule 1.4).
          deadline = System.nanoTime() - 1;
          emit(SessionEvent.Kind.SUSPENDED, s.id);
        }
      }
      case Expired -> expire(s);
      case AuthFailed -> {
        if (!firstUp.isDone()) {
          firstUp.completeExceptionally(ZkErrors.translate("Authenticating with ZooKeeper at "
              + config.endpoints(), KeeperException.create(Code.AUTHFAILED)));
        }
      }
      default -> {
        // Closed (our own close), SaslAuthenticated, ConnectedReadOnly (read-only mode is not enabled).
      }
    }
  }

  /**
   * A {@code sync} sent at {@code sent} on connection {@code conn} was answered with {@code rc}. If it succeeded, the
   * ensemble's leader processed it while the session was open there, and the session lives until at least
   * {@code base + timeout}, where {@code base} is the latest of:
   * <ul>
   *   <li>{@code createdAt}: the leader created the session after it and expires it no earlier than a timeout after
   *       its last touch;
   *   <li>the send time of an earlier answered heartbeat of the same connection whose answer came at least a
   *       {@link Heartbeats#heartbeatGapNanos gap} before {@code sent}: the follower recorded that heartbeat's touch
   *       before answering it, answered one of the leader's pings (sending its touches) within the gap, and wrote
   *       that ping reply on its link to the leader before it forwarded this sync on the same FIFO link, so the
   *       leader had the touch before it answered the sync. (A standalone server or the leader itself touches
   *       directly.)
   * </ul>
   * The deadline is that plus the timeout, less the one margin rule ({@link SessionClock}).
   */
  void proved(Handle s, int conn, long sent, int rc) {
    if (s != current || s.expired || closed.get() || rc != Code.OK.intValue() || !s.connected
        || conn != s.connection || (!up && sent - s.suspendedAt < 0)) {
      return;
    }
    long gap = heartbeatGapNanos(s);
    long base = s.createdAt;
    for (Beat b : new Beat[] {s.last, s.prev}) {
      if (b != null && sent - b.answered() >= gap) {
        if (b.sent() - base > 0) {
          base = b.sent();
        }
        break;
      }
    }
    long timeout = TimeUnit.MILLISECONDS.toNanos(s.timeoutMillis);
    long d = SessionClock.deadline(base, timeout);
    if (d - System.nanoTime() <= 0) {
      return; // nothing proven about the future yet: the next heartbeat of this connection will be
    }
    if (!up || d - deadline > 0) {
      deadline = d;
    }
    if (!up) {
      up = true;
      reconnectFailures = 0;
      if (!s.everUp) {
        s.everUp = true;
        sessionId = s.id;
        emit(SessionEvent.Kind.CONNECTED, s.id);
        firstUp.complete(null);
      } else {
        emit(SessionEvent.Kind.RECOVERED, s.id);
      }
      List<Runnable> work = List.copyOf(whenUp);
      whenUp.clear();
      work.forEach(Runnable::run);
    }
  }

  private void expire(Handle s) {
    if (s.expired) {
      return;
    }
    s.expired = true;
    s.connected = false;
    if (s.timer != null) {
      s.timer.cancel(false);
    }
    up = false;
    deadline = System.nanoTime() - 1;
    sessionId = 0;
    current = null;
    closeHandle(s, false);
    SessionLostException lost = (SessionLostException) ZkErrors.translate("ZooKeeper session 0x"
        + Long.toHexString(s.id) + " (its tickets are gone)", KeeperException.create(Code.SESSIONEXPIRED));
    if (s.everUp) {
      emit(SessionEvent.Kind.EXPIRED, s.id);
    }
    onExpired.accept(s, lost);
    scheduleReconnect();
  }

  void closeHandle(Handle s, boolean wait) {
    closeZooKeeper(s.zk, wait);
  }

  /** The newest ZooKeeper handle made, or null; any thread. Closing it twice is harmless. */
  ZooKeeper newest() {
    return newest;
  }

  /** Closes {@code zk}: on this thread if {@code wait}, else on a thread of its own. Any thread. */
  void closeZooKeeper(ZooKeeper zk, boolean wait) {
    Runnable close = () -> {
      try {
        zk.close((int) Math.min(Integer.MAX_VALUE, config.operationTimeout().toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    if (wait) {
      close.run();
    } else {
      Thread closer = new Thread(close, "elector-zookeeper-close");
      closer.setDaemon(true);
      closer.start();
    }
  }

  private void scheduleReconnect() {
    long delay = reconnectFailures == 0 ? 0 : RECONNECT.pauseMillis(reconnectFailures);
    reconnectFailures++;
    loop.schedule(this::newSession, delay, TimeUnit.MILLISECONDS);
  }

  void emit(SessionEvent.Kind kind, long id) {
    if (silent) {
      return;
    }
    try {
      listener.sessionEvent(new SessionEvent(kind, id));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Session listener failed on " + kind, e);
    }
  }

  /**
   * Suspends the session because this backend itself doubts it (see {@link Tickets#confirmLost}): the deadline goes
   * into the past before SUSPENDED is delivered, and only a request sent after this may recover it.
   */
  void suspend(Handle s) {
    up = false;
    deadline = System.nanoTime() - 1;
    s.suspendedAt = System.nanoTime();
    emit(SessionEvent.Kind.SUSPENDED, s.id);
  }

  /**
   * Detaches the session for good: the deadline goes into the past, {@code failPending} fails everything that
   * waited on it, and the handle is returned for closing. Loop thread.
   */
  Handle shutDown(Runnable failPending) {
    deadline = System.nanoTime() - 1;
    up = false;
    sessionId = 0;
    Handle s = current;
    current = null;
    if (s != null && s.timer != null) {
      s.timer.cancel(false);
    }
    failPending.run();
    whenUp.clear();
    firstUp.completeExceptionally(ZkErrors.closed("Connecting"));
    return s;
  }
}
