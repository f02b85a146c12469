package dev.elector.postgres;

import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.support.SessionClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The session: one row of {@code <schema>.sessions}, kept alive by this class's own thread on its own connection,
 * which also {@code LISTEN}s on the client's channel. Every session event is decided and delivered under one lock,
 * so events reach the {@link BackendListener} in the order they happened.
 *
 * <p>The session deadline (SPEC rule 1.3) is the monotonic instant of a successful renewal's <em>sending</em> plus
 * {@link #budgetNanos}: the session timeout less the one margin rule of {@link SessionClock} (a tenth, at least
 * 20 ms). The database set {@code expires_at} to
 * its clock's reading when it ran the renewal, which is after the sending, plus the whole timeout; so as long as
 * the database's clock runs at most 1/0.9 ≈ 11% faster than this machine's monotonic clock and is not stepped
 * forward, the deadline passes before the database can consider the session expired, and no successor can be
 * elected before (every line read ignores tickets of expired sessions; renewals never revive one).
 */
final class PgSessionKeeper implements Runnable {
  /** What the session tells the rest of the backend. Called on the keeper's thread. */
  interface Events {
    /** A NOTIFY payload other than this session's own expiry. */
    void notified(String payload);

    /** The session expired; its tickets and watches are gone. Called after {@code EXPIRED} was delivered. */
    void sessionExpired(long id);

    /** Notifications may have been missed (reconnected, recovered): check every wait and watch again. */
    void resync();
  }

  private final PgConnector connector;
  private final PgSchema schema;
  private final BackendListener listener;
  private final ScheduledExecutorService timer;
  private final String channel;
  private final long timeoutMillis;
  private final long budgetNanos;
  private final long renewEveryNanos;
  private final long backstopNanos;
  private final Object lock = new Object();
  private Events events;

  /** Completes with the first session's id, or with the error that makes retrying pointless. */
  final CompletableFuture<Long> firstSession = new CompletableFuture<>();

  private volatile long sessionId;
  private volatile long deadline;
  private volatile boolean suspended;
  private volatile boolean closed;
  private volatile boolean renewNow;
  private volatile Throwable lastError;
  private volatile Connection conn;
  private int suspendGen;

  // Keeper-thread state.
  private boolean schemaReady;
  private boolean resyncWanted;
  private long nextRenewal;
  private long nextBackstop;
  private int failures;

  PgSessionKeeper(PgConnector connector, PgSchema schema, BackendListener listener, ScheduledExecutorService timer,
      Duration sessionTimeout) {
    this.connector = connector;
    this.schema = schema;
    this.listener = listener;
    this.timer = timer;
    this.channel = "elector_" + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    this.timeoutMillis = sessionTimeout.toMillis();
    long t = sessionTimeout.toNanos();
    this.budgetNanos = t - SessionClock.marginNanos(t);
    this.renewEveryNanos = t / 3;
    this.backstopNanos = t;
  }

  void setEvents(Events events) {
    this.events = events;
  }

  long sessionId() {
    return sessionId;
  }

  /** Lock-free: a volatile read or two. */
  long sessionDeadline() {
    long d = deadline;
    if (closed || suspended || sessionId == 0) {
      return System.nanoTime() - 1;
    }
    return d;
  }

  boolean suspended() {
    return suspended || sessionId == 0;
  }

  /** The error that kept the first session from opening, if any. */
  Throwable lastError() {
    return lastError;
  }

  @Override
  public void run() {
    while (!closed) {
      try {
        step();
        failures = 0;
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        lastError = e;
        dropConnection();
        if (!firstSession.isDone() && !PgErrors.connectionLost(e)) {
          // Refused credentials, a missing database, no right to create the schema: retrying cannot help.
          firstSession.completeExceptionally(e);
          break;
        }
        failures++;
        long pause = Math.min(TimeUnit.MILLISECONDS.toNanos(25L << Math.min(failures, 4)), renewEveryNanos / 2);
        LockSupport.parkNanos(pause);
      }
    }
    dropConnection();
  }

  private void step() throws SQLException {
    if (conn == null) {
      Connection c = connector.connect(Duration.ofNanos(renewEveryNanos));
      conn = c;
      if (!schemaReady) {
        schema.ensure(c);
        schemaReady = true;
      }
      try (Statement s = c.createStatement()) {
        s.execute("LISTEN " + channel);
      }
      if (sessionId != 0) {
        resyncWanted = true; // notifications sent while we were away are lost
        renewNow = true;
      }
    }
    long now = System.nanoTime();
    if (sessionId == 0) {
      open();
    } else if (renewNow || now - nextRenewal >= 0) {
      renewNow = false;
      renew();
    }
    now = System.nanoTime();
    if (resyncWanted || now - nextBackstop >= 0) {
      resyncWanted = false;
      nextBackstop = now + backstopNanos;
      events.resync();
    }
    long waitNanos = Math.min(nextRenewal, nextBackstop) - System.nanoTime();
    int waitMillis = (int) Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
    PGNotification[] ns = conn.unwrap(PGConnection.class).getNotifications(waitMillis);
    if (ns != null) {
      for (PGNotification n : ns) {
        String p = n.getParameter();
        if (p.startsWith("expired:")) {
          renewNow = true; // find out at once: the next renewal reports the expiry
        } else {
          events.notified(p);
        }
      }
    }
  }

  private void open() throws SQLException {
    long send = System.nanoTime();
    long id;
    try (PreparedStatement p = conn.prepareStatement(schema.openSession)) {
      p.setString(1, channel);
      p.setLong(2, timeoutMillis);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        id = r.getLong(1);
      }
    }
    synchronized (lock) {
      if (closed) {
        return;
      }
      deadline = send + budgetNanos;
      suspended = false;
      sessionId = id;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.CONNECTED, id));
    }
    nextRenewal = send + renewEveryNanos;
    nextBackstop = send + backstopNanos;
    watchDeadline();
    firstSession.complete(id);
  }

  private void renew() throws SQLException {
    long id = sessionId;
    long send = System.nanoTime();
    boolean alive;
    try (PreparedStatement p = conn.prepareStatement(schema.renew)) {
      p.setLong(1, id);
      p.setLong(2, timeoutMillis);
      p.setLong(3, id);
      try (ResultSet r = p.executeQuery()) {
        alive = r.next();
      }
    }
    if (alive) {
      synchronized (lock) {
        if (closed || id != sessionId) {
          return;
        }
        deadline = send + budgetNanos;
        if (suspended) {
          suspended = false;
          listener.sessionEvent(new SessionEvent(SessionEvent.Kind.RECOVERED, id));
          resyncWanted = true;
        }
      }
      nextRenewal = send + renewEveryNanos;
      watchDeadline();
      return;
    }
    synchronized (lock) {
      if (closed || id != sessionId) {
        return;
      }
      suspended = true;
      sessionId = 0;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.EXPIRED, id));
    }
    events.sessionExpired(id);
    // Delete the expired row now rather than wait for another client's reaper (it blocks nobody meanwhile).
    try (PreparedStatement p = conn.prepareStatement(schema.deleteSession)) {
      p.setLong(1, id);
      p.executeUpdate();
    }
  }

  /** At the deadline, unless a renewal moved it: suspend (the deadline is already past, SPEC rule 1.4). */
  private void watchDeadline() {
    long delay = deadline - System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
    timer.schedule(this::checkDeadline, Math.max(0, delay), TimeUnit.NANOSECONDS);
  }

  private void checkDeadline() {
    synchronized (lock) {
      if (closed || suspended || sessionId == 0 || deadline - System.nanoTime() > 0) {
        return;
      }
      suspended = true;
      suspendGen++;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.SUSPENDED, sessionId));
    }
  }

  /**
   * Someone else deleted a ticket of this session that may be leading. Its successor is told on its own
   * connection at the same time, so the term must end on this first notice (SPEC rule 1.3): the session's terms
   * become invalid before the loss is delivered (a suspension), and it recovers at once afterwards.
   */
  void lostLeadingTicket(Ticket t) {
    synchronized (lock) {
      if (closed || suspended || t.sessionId() != sessionId) {
        listener.ticketLost(t);
        return;
      }
      suspended = true;
      int g = ++suspendGen;
      listener.ticketLost(t);
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.SUSPENDED, sessionId));
      timer.execute(() -> recoverAfterLoss(g));
    }
  }

  void lostTicket(Ticket t) {
    synchronized (lock) {
      listener.ticketLost(t);
    }
  }

  private void recoverAfterLoss(int g) {
    synchronized (lock) {
      if (closed || !suspended || g != suspendGen || sessionId == 0 || deadline - System.nanoTime() <= 0) {
        return; // a renewal will recover it
      }
      suspended = false;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.RECOVERED, sessionId));
    }
  }

  /** Stops the thread and reports {@code CLOSED}. Idempotent; the session row is deleted by the caller. */
  void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      listener.sessionEvent(new SessionEvent(SessionEvent.Kind.CLOSED, sessionId));
    }
    dropConnection();
  }

  private void dropConnection() {
    Connection c = conn;
    conn = null;
    PgConnector.abort(c);
  }
}
