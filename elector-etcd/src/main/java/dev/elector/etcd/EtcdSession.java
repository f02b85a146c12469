package dev.elector.etcd;

import dev.elector.AccessDeniedException;
import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.support.Backoff;
import dev.elector.spi.support.SessionClock;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The Elector session: one etcd lease at a time (a new one after each expiry), renewed by us, with a deadline from
 * each renewal's send time, less the one margin rule of {@link SessionClock}.
 *
 * <p>Invariants: the {@link #deadline()} is in the past before SUSPENDED, EXPIRED or CLOSED is delivered, and moves
 * forward only on a grant or on a renewal that etcd answered with a live lease and that was sent after the last
 * {@link #suspendNow()}. Stale answers are fenced by the lease: a keep-alive's answer for an earlier lease is
 * dropped, and a lease granted after close is revoked. Only {@link #leaseId()}, {@link #deadline()},
 * {@link #state()} and {@link #lastLease()} are read off the loop (volatile); everything else is confined to it.
 */
final class EtcdSession {
  private static final System.Logger LOG = EtcdBackend.LOG;
  private static final long TICK_MILLIS = 25;
  private static final int MAX_KEEPALIVES_IN_FLIGHT = 4;
  static final long RETRY_MILLIS = 100;
  static final long MAX_BACKOFF_MILLIS = 2_000;
  private static final Backoff BACKOFF = new Backoff(RETRY_MILLIS, MAX_BACKOFF_MILLIS);

  enum State { CONNECTED, SUSPENDED, EXPIRED, CLOSED }

  /** The lease close() revokes, and how long it waits for the answer; none when {@code waitNanos} is not positive. */
  record Revoke(long lease, long waitNanos) {
    static final Revoke NONE = new Revoke(0, 0);
  }

  private final ClientConfig config;
  private final BackendListener listener;
  private final Lease leases;
  private final Loop loop;
  /** Fails what the lost lease's lines and clean-ups were waiting for; called on the loop, before a new grant. */
  private final Consumer<SessionLostException> onExpired;
  private final Duration opTimeout;
  private final long ttlSeconds;
  private final long renewEveryNanos;
  private final long retryEveryNanos;
  /** Set once by the backend before {@link #start()}: new leases are granted through it, and its queue ticks here. */
  private Ops ops;
  /** The lease at close, for the CLOSED event. */
  private volatile long lastLease;
  /** Set by the first call of {@link #shutDown()}: the session closes once. */
  private final AtomicBoolean shutDownClaimed = new AtomicBoolean();

  private volatile long leaseId;
  private volatile long deadline;
  private volatile State state = State.EXPIRED;

  // Loop-confined.
  private long lastAckedSend;
  private long lastSend;
  private int keepAlivesInFlight;
  private int regrantAttempt;
  /** When {@link #suspendNow()} last ran: renewals sent before it cannot end the suspension. */
  private long suspendedAt = System.nanoTime();

  EtcdSession(ClientConfig config, BackendListener listener, Lease leases, Loop loop,
      Consumer<SessionLostException> onExpired) {
    this.config = config;
    this.listener = listener;
    this.leases = leases;
    this.loop = loop;
    this.onExpired = onExpired;
    this.opTimeout = config.operationTimeout();
    this.ttlSeconds = ttlSeconds(config);
    long ttl = TimeUnit.SECONDS.toNanos(ttlSeconds);
    this.renewEveryNanos = ttl / 3;
    this.retryEveryNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(100), ttl / 10);
  }

  /** The calls of the session's own (new leases), and the queue its tick expires. Set once, before start. */
  void ops(Ops ops) {
    this.ops = ops;
  }

  /** The lease TTL: the session timeout rounded up to whole seconds, etcd's unit. */
  static long ttlSeconds(ClientConfig config) {
    long ms = config.sessionTimeout().toMillis();
    return Math.max(2, (ms + 999) / 1000);
  }

  /** Retries of lease grants, clean-ups, line reads and the watch stream: 100 ms·2ⁿ, at most 2 s, full jitter. */
  static long backoff(int attempt) {
    return BACKOFF.pauseMillis(attempt);
  }


  /** The current lease, 0 while there is none. Any thread. */
  long leaseId() {
    return leaseId;
  }

  /** Until when the lease is known to be alive, in {@link System#nanoTime()} terms. Any thread. */
  long deadline() {
    return deadline;
  }

  /** Any thread. */
  State state() {
    return state;
  }

  /** The lease the session had when it was closed. Any thread. */
  long lastLease() {
    return lastLease;
  }

  /** Grants the first lease, waiting at most the connect timeout, then starts the tick. Caller's thread. */
  void start() {
    Duration timeout = config.connectTimeout();
    long send = System.nanoTime();
    LeaseGrantResponse granted;
    try {
      granted = leases.grant(ttlSeconds, timeout.toMillis(), TimeUnit.MILLISECONDS)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new BackendUnavailableException("could not open a session with etcd at " + config.endpoints()
          + ": no lease granted within connectTimeout=" + timeout, e);
    } catch (ExecutionException e) {
      ElectorException x = EtcdErrors.translate(e, "granting a lease", config.endpoints(), timeout, false);
      if (x instanceof AccessDeniedException) {
        throw x;
      }
      throw new BackendUnavailableException("could not open a session with etcd at " + config.endpoints()
          + " within connectTimeout=" + timeout + ": " + x.getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendUnavailableException("interrupted while connecting to etcd at " + config.endpoints(), e);
    }
    CompletableFuture<Void> started = new CompletableFuture<>();
    loop.execute(() -> {
      sessionGranted(granted, send);
      loop.every(this::tick, TICK_MILLIS);
      started.complete(null);
    });
    started.join();
  }

  private void sessionGranted(LeaseGrantResponse r, long sendTime) {
    deadline = SessionClock.deadline(sendTime, TimeUnit.SECONDS.toNanos(r.getTTL()));
    lastAckedSend = sendTime;
    lastSend = sendTime;
    keepAlivesInFlight = 0;
    regrantAttempt = 0;
    leaseId = r.getID();
    state = State.CONNECTED;
    emit(Kind.CONNECTED, r.getID());
  }

  private void tick() {
    try {
      ops.expireQueued();
      if (state != State.CONNECTED && state != State.SUSPENDED) {
        return;
      }
      long now = System.nanoTime();
      if (state == State.CONNECTED && deadline - now <= 0) {
        // The deadline has passed by itself: nothing to set before the event.
        state = State.SUSPENDED;
        emit(Kind.SUSPENDED, leaseId);
      }
      if (now - lastAckedSend >= renewEveryNanos && now - lastSend >= retryEveryNanos
          && keepAlivesInFlight < MAX_KEEPALIVES_IN_FLIGHT) {
        renew(null);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "etcd session tick failed", e);
    }
  }

  /**
   * Sends one keepalive for the current lease. {@code then} (may be null) learns whether the lease is alive:
   * true (renewed), false (gone), or null (no answer).
   */
  void renew(Consumer<Boolean> then) {
    long lease = leaseId;
    long send = System.nanoTime();
    lastSend = send;
    keepAlivesInFlight++;
    CompletableFuture<LeaseKeepAliveResponse> f;
    try {
      f = leases.keepAliveOnce(lease);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenCompleteAsync((r, e) -> {
      if (lease != leaseId) {
        if (then != null) {
          then.accept(false);
        }
        return;
      }
      keepAlivesInFlight--;
      if (then != null) {
        // Before the session acts on the answer: a lost ticket is reported before the session recovers.
        then.accept(liveness(r, e));
      }
      renewed(lease, send, r, e);
    }, loop);
  }

  /** What a keep-alive's answer says of its lease: true (alive), false (gone) or null (no answer). */
  private Boolean liveness(LeaseKeepAliveResponse r, Throwable e) {
    if (state != State.CONNECTED && state != State.SUSPENDED) {
      return null;
    }
    if (e != null) {
      return EtcdErrors.leaseNotFound(e) ? false : null;
    }
    return r.getTTL() > 0;
  }

  /**
   * Ends every term of this session now, before a round trip tells whether the lease is alive: used when one of our
   * keys vanished, which is what a revoked lease looks like too. Only a renewal sent after this may recover.
   */
  void suspendNow() {
    if (state != State.CONNECTED && state != State.SUSPENDED) {
      return;
    }
    deadline = System.nanoTime() - 1;
    // Also when suspended already: a renewal that was in flight must not end this suspension either.
    suspendedAt = System.nanoTime();
    if (state == State.CONNECTED) {
      state = State.SUSPENDED;
      emit(Kind.SUSPENDED, leaseId);
    }
  }

  private void renewed(long lease, long send, LeaseKeepAliveResponse r, Throwable e) {
    if (state != State.CONNECTED && state != State.SUSPENDED) {
      return;
    }
    if (e != null) {
      if (EtcdErrors.leaseNotFound(e)) {
        leaseLost(lease, e);
      }
      return;
    }
    if (r.getTTL() <= 0) {
      leaseLost(lease, null);
      return;
    }
    if (send - suspendedAt < 0) {
      // Sent before suspendNow(): it says nothing of what happened since (the lease may be revoked by now).
      return;
    }
    long d = SessionClock.deadline(send, TimeUnit.SECONDS.toNanos(r.getTTL()));
    if (send - lastAckedSend > 0) {
      lastAckedSend = send;
    }
    if (d - deadline > 0) {
      deadline = d;
    }
    if (state == State.SUSPENDED && deadline - System.nanoTime() > 0) {
      state = State.CONNECTED;
      emit(Kind.RECOVERED, lease);
    }
  }

  /** The lease is gone on the server: every ticket with it. Opens a new session. */
  void leaseLost(long lease, Throwable cause) {
    if (lease != leaseId || (state != State.CONNECTED && state != State.SUSPENDED)) {
      return;
    }
    deadline = System.nanoTime() - 1;
    state = State.EXPIRED;
    leaseId = 0;
    emit(Kind.EXPIRED, lease);
    SessionLostException lost =
        new SessionLostException("the etcd lease " + Long.toHexString(lease) + " expired", true, cause);
    // The session's watch stream is not tied to the lease: it stays, and serves the lines of the next lease.
    onExpired.accept(lost);
    regrant();
  }

  private void regrant() {
    if (state != State.EXPIRED) {
      return;
    }
    long delay = regrantAttempt == 0 ? 0 : backoff(regrantAttempt);
    regrantAttempt++;
    loop.schedule(() -> {
      if (state != State.EXPIRED) {
        return;
      }
      long send = System.nanoTime();
      ops.io("granting a new lease", () -> leases.grant(ttlSeconds), true).whenComplete((r, e) -> {
        if (state == State.CLOSED) {
          if (r != null) {
            leases.revoke(r.getID());
          }
          return;
        }
        if (e != null) {
          LOG.log(System.Logger.Level.DEBUG, "granting a new etcd lease failed, retrying", e);
          regrant();
          return;
        }
        sessionGranted(r, send);
      });
    }, delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Closes the session, once: no term stays valid, and no later answer acts. Returns the lease close() then revokes
   * (none unless connected), or null if the session was closed already. Called on the loop, or from the closing
   * thread when the loop is held (a callback on a direct executor runs on the engine's thread, which this backend
   * shares) or gone: it writes only the volatile fields other threads read, so every task that still runs (on the
   * loop if it frees up, else on gRPC's threads) finds the session closed and fails its stage, and whichever caller
   * comes second gets null and takes the first one's revoke.
   */
  Revoke shutDown() {
    if (!shutDownClaimed.compareAndSet(false, true)) {
      return null;
    }
    // A suspended session cannot reach etcd: revoking would only wait out the timeout; the lease expires anyway.
    // Nor is it worth waiting past the session deadline: etcd expires the lease by itself by then, and a client
    // cut off from etcd (without knowing it yet) would wait out the operation timeout.
    long id = leaseId;
    long lease = state == State.CONNECTED ? id : 0;
    long wait = lease == 0 ? 0 : Math.min(opTimeout.toNanos(), deadline - System.nanoTime());
    deadline = System.nanoTime() - 1;
    state = State.CLOSED;
    lastLease = id;
    leaseId = 0;
    return new Revoke(lease, wait);
  }

  /**
   * Revokes the lease {@link #shutDown()} returned, waiting at most its time, also when the caller was interrupted
   * (its interrupt is kept for after). Caller's thread.
   */
  void revoke(Revoke revoke) {
    if (revoke.waitNanos() <= 0) {
      return;
    }
    boolean interrupted = Thread.interrupted();
    try {
      // Revoking drops our keys at once, so successors need not wait for the TTL.
      leases.revoke(revoke.lease()).get(revoke.waitNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(System.Logger.Level.DEBUG, "revoking etcd lease on close failed; it expires by itself", e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void emit(Kind kind, long lease) {
    try {
      listener.sessionEvent(new SessionEvent(kind, lease));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "backend listener failed on " + kind, e);
    }
  }
}
