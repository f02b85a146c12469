package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.AccessDeniedException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import dev.elector.spi.TicketLostException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One etcd session (a lease) and the election lines inside it.
 *
 * <p>Threading: every piece of mutable state is confined to one thread, the backend's loop; jetcd callbacks hop onto
 * it. That orders listener calls as things happened and needs no locks. Only {@link #leaseId} and {@link #deadline}
 * are read from other threads (volatile).
 */
final class EtcdBackend implements ElectionBackend {
  private static final System.Logger LOG = System.getLogger(EtcdBackend.class.getName());
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final long TICK_MILLIS = 25;
  private static final int MAX_KEEPALIVES_IN_FLIGHT = 4;
  private static final long RETRY_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 2_000;
  /**
   * Requests (joins, reads, deletes) in flight per session; more wait in a queue on the loop. Thousands of
   * concurrent calls on the session's one HTTP/2 connection delay the lease renewals, which do not queue here, until
   * the session is lost (10,000 elections joined at once on one session would expire it).
   */
  private static final int MAX_OPS_IN_FLIGHT = 32;
  /**
   * The largest answer accepted (gRPC's default is 4 MiB): one read of a line of 10,000 tickets, keys only, is
   * about 1 MB, and an observer reads the whole line with values.
   */
  private static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;
  /**
   * How many keys a waiter's read of its predecessor asks for first. One would do if every key were a ticket; a few
   * more let it skip keys Elector did not write (SPEC rule 4.8) in the same read. A page of nothing but such keys
   * is read again, eight times larger, up to the whole line past {@link #MAX_PREDECESSOR_PAGE}.
   */
  private static final int PREDECESSOR_PAGE = 4;
  private static final int MAX_PREDECESSOR_PAGE = 256;

  private enum State { CONNECTED, SUSPENDED, EXPIRED, CLOSED }

  private final ClientConfig config;
  private final BackendListener listener;
  private final Client client;
  private final KV kv;
  private final Lease leases;
  private final ScheduledExecutorService loop;
  /** The loop, or the caller's thread once the loop is shut down, so that no stage is left uncompleted. */
  private final Executor onLoop;
  private final Duration opTimeout;
  private final long ttlSeconds;
  private final long marginNanos;
  private final long renewEveryNanos;
  private final long retryEveryNanos;
  /**
   * Keys per page of a read with values: half the answer limit over the largest ticket (data, plus 64 KiB for the
   * candidate id and encoding). 56 at the 512 KiB cap, 409 at the 16 KiB default.
   */
  private final int pageKeys;
  private final AtomicBoolean closing = new AtomicBoolean();
  /** The lease at close, for the CLOSED event. */
  private volatile long lastLease;

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
  private final Map<String, Line> lines = new HashMap<>();
  /** Keys being removed in the background, by key; see {@link #cleanUp}. */
  private final Map<String, CleanUp> cleanUps = new HashMap<>();
  private int opsInFlight;
  private final java.util.ArrayDeque<QueuedOp> opQueue = new java.util.ArrayDeque<>();
  private final java.util.ArrayDeque<QueuedOp> urgentQueue = new java.util.ArrayDeque<>();
  /** When etcd last answered a call of ours: queued calls wait while it keeps answering. */
  private long lastAnswer = System.nanoTime();
  /** The session's one watch stream: each ticket's own key, each waiter's predecessor, each observed line. */
  private final WatchStream watches;

  private EtcdBackend(ClientConfig config, BackendListener listener, Client client, ChannelTap tap) {
    this.config = config;
    this.listener = listener;
    this.client = client;
    this.kv = client.getKVClient();
    this.leases = client.getLeaseClient();
    int id = IDS.incrementAndGet();
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "elector-etcd-" + id);
      t.setDaemon(true);
      return t;
    });
    this.onLoop = r -> {
      try {
        loop.execute(r);
      } catch (RejectedExecutionException e) {
        r.run();
      }
    };
    this.opTimeout = config.operationTimeout();
    this.ttlSeconds = ttlSeconds(config);
    long ttl = TimeUnit.SECONDS.toNanos(ttlSeconds);
    this.marginNanos = margin(ttl);
    this.renewEveryNanos = ttl / 3;
    this.retryEveryNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(100), ttl / 10);
    this.watches = new WatchStream(tap, onLoop, loop, EtcdBackend::backoff);
    this.pageKeys = Math.max(1, (MAX_INBOUND_BYTES / 2) / (config.maxDataBytes() + 64 * 1024));
  }

  /** The lease TTL: the session timeout rounded up to whole seconds, etcd's unit. */
  static long ttlSeconds(ClientConfig config) {
    long ms = config.sessionTimeout().toMillis();
    return Math.max(2, (ms + 999) / 1000);
  }

  /**
   * The safety margin taken off each renewal's deadline: 5% of the TTL, at least 100 ms. It covers the rate
   * difference between this host's monotonic clock and the etcd leader's (NTP slews by at most 0.05%), the loop's
   * scheduling delay and a leader change whose new leader promotes leases with less than the old one's remaining
   * time. The server's lease runs at least TTL from when it handled the renewal, which is after we sent it.
   */
  static long margin(long ttlNanos) {
    return Math.max(TimeUnit.MILLISECONDS.toNanos(100), ttlNanos / 20);
  }

  static EtcdBackend open(ClientConfig config, BackendListener listener) {
    ChannelTap tap = new ChannelTap();
    Client client = buildClient(config, tap);
    EtcdBackend b = new EtcdBackend(config, listener, client, tap);
    try {
      b.start();
      return b;
    } catch (RuntimeException e) {
      b.loop.shutdownNow();
      client.close();
      throw e;
    }
  }

  private static Client buildClient(ClientConfig config, ChannelTap tap) {
    boolean tls = config.option(EtcdElectionProvider.TLS).map(Boolean::parseBoolean).orElse(false);
    String scheme = tls ? "https://" : "http://";
    String[] endpoints = config.endpoints().stream().map(e -> scheme + e).toArray(String[]::new);
    long ttl = TimeUnit.SECONDS.toMillis(ttlSeconds(config));
    ClientBuilder b = Client.builder()
        .endpoints(endpoints)
        .connectTimeout(config.connectTimeout())
        // gRPC's floor is 10 s; etcd tolerates pings every 5 s while a stream (our watches) is open.
        .keepaliveTime(Duration.ofSeconds(10))
        .keepaliveTimeout(Duration.ofSeconds(5))
        .keepaliveWithoutCalls(false)
        .retryMaxAttempts(2)
        .retryDelay(100)
        .retryMaxDelay(500)
        .retryMaxDuration(config.operationTimeout())
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .interceptor(new DeadlineInterceptor(config.operationTimeout(), Duration.ofMillis(Math.max(500, ttl / 3))))
        .interceptor(tap);
    config.option(EtcdElectionProvider.USERNAME).ifPresent(u -> b.user(ByteSequence.from(u, UTF_8)));
    config.option(EtcdElectionProvider.PASSWORD).ifPresent(p -> b.password(ByteSequence.from(p, UTF_8)));
    if (tls) {
      try {
        b.sslContext(ssl -> {
          config.option(EtcdElectionProvider.CA_FILE).ifPresent(f -> ssl.trustManager(new File(f)));
          config.option(EtcdElectionProvider.CERT_FILE).ifPresent(c ->
              ssl.keyManager(new File(c), new File(config.option(EtcdElectionProvider.KEY_FILE).orElseThrow())));
        });
      } catch (Exception e) {
        throw new dev.elector.InvalidInputException("TLS files", config.option(EtcdElectionProvider.CA_FILE)
            .orElse("(JVM trust store)"), "must be readable PEM files (" + e.getMessage() + ")");
      }
    }
    return b.build();
  }

  private void start() {
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
      loop.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
      started.complete(null);
    });
    started.join();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Session: one lease, renewed by us, with a deadline from each renewal's send time.

  @Override
  public long sessionId() {
    return leaseId;
  }

  @Override
  public long sessionDeadline() {
    return deadline;
  }

  private void sessionGranted(LeaseGrantResponse r, long sendTime) {
    deadline = sendTime + TimeUnit.SECONDS.toNanos(r.getTTL()) - marginNanos;
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
      expireQueued();
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
  private void renew(java.util.function.Consumer<Boolean> then) {
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
    }, onLoop);
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
  private void suspendNow() {
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
    long d = send + TimeUnit.SECONDS.toNanos(r.getTTL()) - marginNanos;
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
  private void leaseLost(long lease, Throwable cause) {
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
    for (Line line : List.copyOf(lines.values())) {
      line.kill(lost);
    }
    lines.clear();
    cleanUps.clear(); // their keys go with the lease
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
      io("granting a new lease", () -> leases.grant(ttlSeconds), true).whenComplete((r, e) -> {
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

  /** The index of the first element of the sorted {@code a} that is not below {@code v}. */
  private static int lowerBound(long[] a, long v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static long backoff(int attempt) {
    long base = Math.min(MAX_BACKOFF_MILLIS, RETRY_MILLIS << Math.min(attempt, 10));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  private void emit(Kind kind, long lease) {
    try {
      listener.sessionEvent(new SessionEvent(kind, lease));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "backend listener failed on " + kind, e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Operations.

  /** Runs a jetcd call bounded by the operation timeout; completes on the loop with a translated error. */
  private <T> CompletableFuture<T> io(String what, Supplier<CompletableFuture<T>> call) {
    return io(what, call, false);
  }

  /** A call waiting for one of the {@link #MAX_OPS_IN_FLIGHT} slots. */
  private record QueuedOp(long queued, Runnable send, Runnable expire) {}

  /**
   * Runs a jetcd call bounded by the operation timeout; completes on the loop with a translated error. At most
   * {@link #MAX_OPS_IN_FLIGHT} calls are in flight; the {@code urgent} ones (a leader leaving, a waiter's read, a
   * new lease) go before the others, so that a handoff or the first leader of a line does not wait behind thousands
   * of joins. A queued call fails once it has waited the operation timeout with no answer from etcd meanwhile: an
   * unreachable etcd still fails every call within the timeout, while a busy one that keeps answering is given the
   * time to work through the queue (a deadline counted from queueing made queued joins time out and come back as
   * retries, a queue that never drained). Called on the loop.
   */
  private <T> CompletableFuture<T> io(String what, Supplier<CompletableFuture<T>> call, boolean urgent) {
    CompletableFuture<T> out = new CompletableFuture<>();
    if (state == State.CLOSED) {
      // The loop may be gone: nothing may touch the queue from another thread.
      out.completeExceptionally(new ClosedException(what + " failed: the etcd backend is closed"));
      return out;
    }
    QueuedOp op = new QueuedOp(System.nanoTime(), () -> send(what, call, out),
        () -> out.completeExceptionally(error(new TimeoutException(), what)));
    (urgent ? urgentQueue : opQueue).addLast(op);
    pumpOps();
    return out;
  }

  private void pumpOps() {
    while (opsInFlight < MAX_OPS_IN_FLIGHT && !(urgentQueue.isEmpty() && opQueue.isEmpty())) {
      (urgentQueue.isEmpty() ? opQueue : urgentQueue).pollFirst().send().run();
    }
  }

  /** Fails the queued calls that waited the operation timeout without etcd answering anything meanwhile. */
  private void expireQueued() {
    long now = System.nanoTime();
    long limit = opTimeout.toNanos();
    for (java.util.ArrayDeque<QueuedOp> q : List.of(urgentQueue, opQueue)) {
      QueuedOp op;
      while ((op = q.peekFirst()) != null && now - Math.max(op.queued(), lastAnswer) > limit) {
        q.pollFirst();
        op.expire().run();
      }
    }
  }

  /** The backend is closed: nothing queued will be sent. */
  private void failQueued() {
    for (java.util.ArrayDeque<QueuedOp> q : List.of(urgentQueue, opQueue)) {
      QueuedOp op;
      while ((op = q.pollFirst()) != null) {
        op.expire().run();
      }
    }
  }

  private <T> void send(String what, Supplier<CompletableFuture<T>> call, CompletableFuture<T> out) {
    opsInFlight++;
    CompletableFuture<T> f;
    try {
      f = call.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.orTimeout(opTimeout.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((r, e) -> {
      opsInFlight--;
      if (e == null || !retryable(e)) {
        lastAnswer = System.nanoTime();
      }
      if (e == null) {
        out.complete(r);
      } else {
        out.completeExceptionally(error(e, what));
      }
      pumpOps();
    }, onLoop);
  }

  private ElectorException error(Throwable e, String what) {
    Throwable t = EtcdErrors.unwrap(e);
    if (t instanceof ElectorException x) {
      return x;
    }
    if (state == State.CLOSED) {
      return new ClosedException(what + " failed: the etcd backend is closed");
    }
    return EtcdErrors.translate(t, what, config.endpoints(), opTimeout, state == State.SUSPENDED);
  }

  private static boolean retryable(Throwable e) {
    Throwable t = EtcdErrors.unwrap(e);
    if (t instanceof ElectorException) {
      t = t.getCause() == null ? t : EtcdErrors.unwrap(t.getCause());
    }
    if (t instanceof TimeoutException) {
      return true;
    }
    String code = EtcdErrors.code(t);
    return code.equals("UNAVAILABLE") || code.equals("DEADLINE_EXCEEDED");
  }

  /** Fails {@code out} and returns true unless the session is usable for a new operation. */
  private boolean unusable(CompletableFuture<?> out, String what) {
    switch (state) {
      case CLOSED -> out.completeExceptionally(new ClosedException(what + " failed: the etcd backend is closed"));
      case EXPIRED -> out.completeExceptionally(
          new SessionLostException(what + " failed: the etcd lease expired; a new one is being granted", true));
      case SUSPENDED -> out.completeExceptionally(new SessionLostException(
          what + " failed: the etcd session is suspended (no lease renewal before its deadline)", false));
      default -> {
        return false;
      }
    }
    return true;
  }

  private void runOnLoop(Runnable r) {
    onLoop.execute(() -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "etcd backend task failed", e);
      }
    });
  }

  private String prefix(String election) {
    String root = config.root();
    return (root.equals("/") ? "" : root) + "/" + election + "/";
  }

  /** The end of the key range of {@code prefix}, which ends in '/': the range ends before '0', the next character. */
  static ByteSequence rangeEnd(String prefix) {
    return bytes(prefix.substring(0, prefix.length() - 1) + "0");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private Line lineOf(String election) {
    return lines.computeIfAbsent(election, Line::new);
  }

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    CompletableFuture<Ticket> out = new CompletableFuture<>();
    byte[] value = TicketCodec.encode(candidateId, data);
    runOnLoop(() -> {
      String what = "joining election '" + election + "'";
      if (unusable(out, what)) {
        return;
      }
      long lease = leaseId;
      // The uuid makes the key unique for all time, so a retry after a lost answer finds its own key.
      String key = prefix(election) + TicketNames.create(lease);
      createTicket(election, candidateId, key, value, lease, System.nanoTime(), out);
    });
    return out;
  }

  private void createTicket(String election, String candidateId, String key, byte[] value, long lease,
      long started, CompletableFuture<Ticket> out) {
    String what = "joining election '" + election + "'";
    io(what, () -> Enqueue.createTxn(kv, key, value, lease)).whenComplete((r, e) -> {
          if (e == null && !r.isSucceeded() && r.getGetResponses().get(0).getKvs().isEmpty()) {
            // Fenced: this call's own clean-up ran (the call was given up); nothing of it may remain.
            out.completeExceptionally(new BackendUnavailableException(what + " failed: the join was given up"));
            return;
          }
          if (e == null) {
            // Else-branch: an earlier attempt of this same call created the key and its answer was lost.
            long token = r.isSucceeded()
                ? r.getHeader().getRevision()
                : r.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
            if (state == State.CLOSED || lease != leaseId) {
              cleanUp(key, lease, false);
              unusable(out, what);
              if (!out.isDone()) {
                out.completeExceptionally(new SessionLostException(what + " failed: the etcd lease expired", true));
              }
              return;
            }
            Ticket t = new Ticket(election, candidateId, key, token, lease);
            lineOf(election).own(t);
            out.complete(t);
            return;
          }
          if (retryable(e) && lease == leaseId && state != State.CLOSED
              && System.nanoTime() - started < opTimeout.toNanos()) {
            loop.schedule(() -> createTicket(election, candidateId, key, value, lease, started, out),
                RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return;
          }
          // The transaction may have been applied although its answer was lost, or may still be: never leave an
          // orphan behind.
          cleanUp(key, lease, true);
          if (e instanceof SessionLostException s && s.expired()) {
            leaseLost(lease, e);
          }
          out.completeExceptionally(e);
        });
  }

  /** One key being removed in the background; at most one request of it in flight or one retry scheduled. */
  private static final class CleanUp {
    final String key;
    final long lease;
    boolean fenced;
    int failures;

    CleanUp(String key, long lease, boolean fenced) {
      this.key = key;
      this.lease = lease;
      this.fenced = fenced;
    }
  }

  /**
   * Deletes a key in the background until it is gone or its lease is (which takes the key with it); {@code fenced}
   * when the key's create may still be in flight (see {@link Enqueue}). One clean-up per key: a key already being
   * cleaned up is not cleaned up twice (the engine retries failed removals; a retry chain per call would pile up
   * behind a long partition), so the clean-ups pending never outnumber the session's keys.
   * Retries back off up to {@link #MAX_BACKOFF_MILLIS}.
   */
  private void cleanUp(String key, long lease, boolean fenced) {
    if (state == State.CLOSED || lease != leaseId) {
      return;
    }
    CleanUp c = cleanUps.get(key);
    if (c != null) {
      c.fenced |= fenced;
      return;
    }
    c = new CleanUp(key, lease, fenced);
    cleanUps.put(key, c);
    sendCleanUp(c);
  }

  private void sendCleanUp(CleanUp c) {
    if (state == State.CLOSED || c.lease != leaseId) {
      cleanUps.remove(c.key, c);
      return;
    }
    Supplier<CompletableFuture<?>> call = c.fenced
        ? () -> Enqueue.cleanUpTxn(kv, c.key, c.lease)
        : () -> kv.delete(bytes(c.key));
    this.<Object>io("removing key " + c.key, () -> call.get().thenApply(x -> (Object) x))
        .whenComplete((r, e) -> {
          if (e == null || EtcdErrors.leaseNotFound(e)) {
            cleanUps.remove(c.key, c);
            return;
          }
          c.failures++;
          loop.schedule(() -> sendCleanUp(c), backoff(c.failures), TimeUnit.MILLISECONDS);
        });
  }

  /** For tests: clean-ups not finished. */
  int cleanUpsPending() {
    return CompletableFuture.supplyAsync(cleanUps::size, loop).join();
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    runOnLoop(() -> {
      String what = "waiting for the head of election '" + ticket.election() + "'";
      if (state == State.CLOSED) {
        unusable(out, what);
        return;
      }
      if (ticket.sessionId() != leaseId) {
        out.completeExceptionally(new SessionLostException(
            what + " failed: the ticket's etcd lease " + Long.toHexString(ticket.sessionId()) + " expired", true));
        return;
      }
      Line line = lines.get(ticket.election());
      if (line == null || !line.owned.containsKey(ticket.key())) {
        out.completeExceptionally(new TicketLostException(
            what + " failed: ticket " + ticket.key() + " is not in line (removed or deleted)"));
        return;
      }
      line.await(ticket, out);
    });
    return out;
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    runOnLoop(() -> {
      String what = "leaving election '" + ticket.election() + "'";
      Line line = lines.get(ticket.election());
      if (line != null) {
        line.disown(ticket.key(), new TicketLostException("ticket " + ticket.key() + " was removed"));
      }
      if (state == State.CLOSED) {
        // Closing revoked the lease, and the key with it.
        out.complete(null);
        return;
      }
      if (ticket.sessionId() != leaseId) {
        // The ticket's lease is gone, and its keys went with it.
        out.complete(null);
        return;
      }
      long started = System.nanoTime();
      deleteTicket(ticket, what, started, out);
    });
    return out;
  }

  private void deleteTicket(Ticket ticket, String what, long started, CompletableFuture<Void> out) {
    io(what, () -> kv.delete(bytes(ticket.key())), true).whenComplete((r, e) -> {
      if (e == null) {
        out.complete(null);
      } else if (retryable(e) && ticket.sessionId() == leaseId && state != State.CLOSED
          && System.nanoTime() - started < opTimeout.toNanos()) {
        loop.schedule(() -> deleteTicket(ticket, what, started, out), RETRY_MILLIS, TimeUnit.MILLISECONDS);
      } else if (ticket.sessionId() != leaseId || state == State.CLOSED) {
        out.complete(null);
      } else {
        cleanUp(ticket.key(), ticket.sessionId(), false);
        out.completeExceptionally(e);
      }
    });
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    byte[] value = TicketCodec.encode(ticket.candidateId(), data);
    runOnLoop(() -> {
      String what = "updating the data of " + ticket.candidateId() + " in election '" + ticket.election() + "'";
      if (state == State.CLOSED) {
        unusable(out, what);
        return;
      }
      if (ticket.sessionId() != leaseId) {
        out.completeExceptionally(new TicketLostException(what + " failed: the ticket's lease expired"));
        return;
      }
      ByteSequence k = bytes(ticket.key());
      io(what, () -> kv.txn()
          .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(ticket.token())))
          .Then(Op.put(k, ByteSequence.from(value), PutOption.builder().withLeaseId(ticket.sessionId()).build()))
          .commit()).whenComplete((r, e) -> {
            if (e != null) {
              if (e instanceof SessionLostException s && s.expired()) {
                leaseLost(ticket.sessionId(), e);
              }
              out.completeExceptionally(e);
            } else if (!r.isSucceeded()) {
              out.completeExceptionally(new TicketLostException(what + " failed: ticket " + ticket.key()
                  + " is gone"));
            } else {
              out.complete(null);
            }
          });
    });
    return out;
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    CompletableFuture<List<Participant>> out = new CompletableFuture<>();
    runOnLoop(() -> {
      String what = "reading the line of election '" + election + "'";
      if (state == State.CLOSED) {
        unusable(out, what);
        return;
      }
      readTickets(election, what).whenComplete((r, e) -> {
        if (e != null) {
          out.completeExceptionally(e);
          return;
        }
        List<Participant> line = new ArrayList<>();
        String prefix = prefix(election);
        for (KeyValue kv : r.tickets()) {
          line.add(participant(election, kv.getKey().toString(UTF_8).substring(prefix.length()), kv));
        }
        out.complete(List.copyOf(line));
      });
    });
    return out;
  }

  /** The tickets of an election with their values, sorted by create revision, as of one revision. */
  record TicketsRead(List<KeyValue> tickets, long revision) {}

  /**
   * Reads the tickets of {@code election} with their values (SPEC rule 4.8: other keys are dropped) at one revision,
   * in pages of at most {@link #pageKeys} keys each, so that no answer exceeds {@link #MAX_INBOUND_BYTES}: 130
   * candidates at 512 KiB are more than one answer may hold, and a read of them all failed every time. Pages go in
   * key order from the previous page's last key, each at the first page's revision. Completes on the loop.
   */
  CompletableFuture<TicketsRead> readTickets(String election, String what) {
    String prefix = prefix(election);
    ByteSequence end = rangeEnd(prefix);
    List<KeyValue> tickets = new ArrayList<>();
    CompletableFuture<TicketsRead> out = new CompletableFuture<>();
    readPage(bytes(prefix), end, 0, prefix, tickets, what, out);
    return out;
  }

  private void readPage(ByteSequence from, ByteSequence end, long revision, String prefix, List<KeyValue> tickets,
      String what, CompletableFuture<TicketsRead> out) {
    io(what, () -> kv.get(from, GetOption.builder().withRange(end).withLimit(pageKeys).withRevision(revision)
        .build())).whenComplete((r, e) -> {
          if (e != null) {
            out.completeExceptionally(e);
            return;
          }
          long rev = revision != 0 ? revision : r.getHeader().getRevision();
          List<KeyValue> kvs = r.getKvs();
          for (KeyValue k : kvs) {
            if (TicketNames.ticketName(k.getKey().toString(UTF_8), prefix) != null) {
              tickets.add(k);
            }
          }
          if (r.isMore() && !kvs.isEmpty()) {
            byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
            byte[] next = java.util.Arrays.copyOf(last, last.length + 1);
            readPage(ByteSequence.from(next), end, rev, prefix, tickets, what, out);
            return;
          }
          tickets.sort(java.util.Comparator.comparingLong(KeyValue::getCreateRevision));
          out.complete(new TicketsRead(tickets, rev));
        });
  }

  /**
   * The participant a ticket holds. A value Elector cannot decode (a newer Elector's, or overwritten by someone)
   * is listed under the ticket's name with empty data, since it keeps its place in line (SPEC rule 4.8).
   */
  static Participant participant(String election, String name, KeyValue kv) {
    byte[] value = kv.getValue().getBytes();
    try {
      return new Participant(election, TicketCodec.candidateId(value), kv.getCreateRevision(),
          TicketCodec.data(value));
    } catch (IllegalArgumentException e) {
      return new Participant(election, name, kv.getCreateRevision(), new byte[0]);
    }
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener headListener) {
    HeadSub sub = new HeadSub(headListener, cancelled -> runOnLoop(() -> {
      Line line = lines.get(election);
      if (line != null) {
        line.removeHead(cancelled);
      }
    }));
    runOnLoop(() -> {
      if (state == State.CLOSED) {
        sub.fail(new ClosedException("watching election '" + election + "' failed: the etcd backend is closed"));
        return;
      }
      if (state == State.EXPIRED) {
        sub.fail(new SessionLostException("watching election '" + election + "' failed: the etcd lease expired",
            true));
        return;
      }
      lineOf(election).addHead(sub);
    });
    return sub;
  }

  /** The lease close() revokes, and how long it waits for the answer; none when {@code waitNanos} is not positive. */
  private record Revoke(long lease, long waitNanos) {
    static final Revoke NONE = new Revoke(0, 0);
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Revoke> closed = new CompletableFuture<>();
    runOnLoop(() -> {
      // A suspended session cannot reach etcd: revoking would only wait out the timeout; the lease expires anyway.
      // Nor is it worth waiting past the session deadline: etcd expires the lease by itself by then, and a client
      // cut off from etcd (without knowing it yet) would wait out the operation timeout.
      long lease = state == State.CONNECTED ? leaseId : 0;
      long wait = lease == 0 ? 0 : Math.min(opTimeout.toNanos(), deadline - System.nanoTime());
      deadline = System.nanoTime() - 1;
      state = State.CLOSED;
      lastLease = leaseId;
      leaseId = 0;
      ClosedException ex = new ClosedException("the etcd backend is closed");
      for (Line line : List.copyOf(lines.values())) {
        line.kill(ex);
      }
      lines.clear();
      cleanUps.clear(); // their keys go with the lease
      watches.close();
      failQueued();
      closed.complete(new Revoke(lease, wait));
    });
    Revoke revoke;
    try {
      revoke = closed.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      revoke = Revoke.NONE;
    } catch (ExecutionException | TimeoutException e) {
      revoke = Revoke.NONE;
    }
    long lease = revoke.lease();
    if (revoke.waitNanos() > 0) {
      // Revoking drops our keys at once, so successors need not wait for the TTL.
      try {
        leases.revoke(lease).get(revoke.waitNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(System.Logger.Level.DEBUG, "revoking etcd lease on close failed; it expires by itself", e);
      }
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    long closedLease = lease != 0 ? lease : lastLease;
    runOnLoop(() -> {
      emit(Kind.CLOSED, closedLease);
      done.complete(null);
    });
    try {
      done.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The loop is stuck in a listener; close anyway.
    }
    loop.shutdownNow();
    client.close();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // One election's line: our tickets (each watching its own key), their waiters (each watching its predecessor)
  // and the head watchers (one watch on the election's prefix), all on the session's one watch stream. A handoff
  // wakes only the successor's session; nobody else's watch covers the key that went.

  /** Where a waiter stands: reading, retrying a failed read, watching its predecessor, or finished. */
  private enum Phase { READING, RETRYING, WAITING, DONE }

  private final class Waiter {
    final Ticket ticket;
    final CompletableFuture<Void> out;
    Phase phase = Phase.READING;
    /** Counts reads: an answer or event for an older read or watch is stale. */
    int reads;
    /** The watch on the predecessor's key while {@link Phase#WAITING}. */
    WatchStream.Handle predecessorWatch;

    Waiter(Ticket ticket, CompletableFuture<Void> out) {
      this.ticket = ticket;
      this.out = out;
    }
  }

  private final class Line {
    final String election;
    final Map<String, Ticket> owned = new HashMap<>();
    /**
     * The watch on each owned key, for a delete nobody of ours asked for (an operator's, or the lease's): a leader
     * ends its term on this first notice (SPEC rule 1.3), and a waiter whose key is gone is never elected.
     */
    final Map<String, WatchStream.Handle> ownWatches = new HashMap<>();
    final Map<String, Waiter> waiters = new HashMap<>();
    boolean dead;
    /** Waiters whose read is not sent yet; while one read of this line is in flight, the next ones gather here. */
    final java.util.LinkedHashSet<Waiter> toRead = new java.util.LinkedHashSet<>();
    boolean lineReading;

    /** The mirror of this line for its observers; null while it has none. */
    HeadMirror head;

    Line(String election) {
      this.election = election;
    }

    /** Computed when needed rather than kept: a line per election adds up. */
    ByteSequence prefixBytes() {
      return bytes(prefix(election));
    }

    void own(Ticket t) {
      owned.put(t.key(), t);
      watchOwn(t, t.token() + 1);
    }

    void watchOwn(Ticket t, long from) {
      watches.cancel(ownWatches.put(t.key(), watches.watchDeletes(bytes(t.key()), from, new WatchStream.Listener() {
        @Override
        public void events(List<io.etcd.jetcd.api.Event> events) {
          ownKeyDeleted(t.key());
        }

        @Override
        public void lost(String why) {
          recheckOwn(t, why);
        }
      })));
    }

    /** The watch on an owned key is lost (etcd compacted past it): read whether the key lives, and watch again. */
    void recheckOwn(Ticket t, String why) {
      if (dead || owned.get(t.key()) != t) {
        return;
      }
      LOG.log(System.Logger.Level.DEBUG, "watch on " + t.key() + " lost (" + why + "); reading it again");
      io("checking ticket " + t.key(), () -> kv.get(bytes(t.key()), GetOption.builder().withKeysOnly(true).build()))
          .whenComplete((r, e) -> {
            if (dead || owned.get(t.key()) != t) {
              return;
            }
            if (e != null) {
              loop.schedule(() -> recheckOwn(t, why), RETRY_MILLIS * 2, TimeUnit.MILLISECONDS);
            } else if (r.getKvs().isEmpty() || r.getKvs().get(0).getCreateRevision() != t.token()) {
              ownKeyDeleted(t.key());
            } else {
              watchOwn(t, r.getHeader().getRevision() + 1);
            }
          });
    }

    void disown(String key, ElectorException why) {
      owned.remove(key);
      watches.cancel(ownWatches.remove(key));
      Waiter w = waiters.remove(key);
      if (w != null && w.phase != Phase.DONE) {
        finish(w);
        w.out.completeExceptionally(why);
      }
      retireWhenIdle();
    }

    /** Ends a waiter: nothing of it acts again. */
    void finish(Waiter w) {
      w.phase = Phase.DONE;
      watches.cancel(w.predecessorWatch);
      w.predecessorWatch = null;
    }

    boolean idle() {
      return owned.isEmpty() && waiters.isEmpty() && head == null;
    }

    /** Forgets a line nobody uses any more: it holds no watch then, and costs nothing to make again. */
    void retireWhenIdle() {
      if (idle() && !dead && lines.get(election) == this) {
        lines.remove(election);
        dead = true;
        toRead.clear();
      }
    }

    void await(Ticket ticket, CompletableFuture<Void> out) {
      Waiter w = new Waiter(ticket, out);
      Waiter old = waiters.put(ticket.key(), w);
      if (old != null) {
        // Superseded (SPI contract): its stage may stay pending, but it must no longer act.
        finish(old);
      }
      read(w);
    }

    void addHead(HeadSub sub) {
      if (head == null) {
        head = new HeadMirror(election, prefix(election), watches, EtcdBackend.this::readTickets, loop);
      }
      head.add(sub);
    }

    void removeHead(HeadSub sub) {
      if (head != null && head.remove(sub)) {
        head = null;
      }
      retireWhenIdle();
    }

    /**
     * One of our keys vanished without remove(): deleted by someone else, or with our lease. Ask the lease to tell
     * which, so that an expired lease is reported as such rather than as lost tickets.
     *
     * <p>Invariant: no term of this session is valid from this call until the keep-alive sent here answers. The
     * same delete may reach our successor first, and the lease may already be revoked; so the session suspends
     * first, as ZooKeeper's backend does. An operator's delete costs the session's other terms one round trip.
     */
    void ownKeyDeleted(String key) {
      Ticket t = owned.remove(key);
      if (t == null) {
        return;
      }
      watches.cancel(ownWatches.remove(key));
      Waiter w = waiters.remove(key);
      if (w != null && w.phase != Phase.DONE) {
        finish(w);
      } else {
        w = null;
      }
      Waiter waiter = w;
      retireWhenIdle();
      if (t.sessionId() != leaseId) {
        if (waiter != null) {
          waiter.out.completeExceptionally(new SessionLostException("the etcd lease "
              + Long.toHexString(t.sessionId()) + " of ticket " + key + " expired", true));
        }
        return;
      }
      suspendNow();
      renew(alive -> {
        if (Boolean.FALSE.equals(alive) || t.sessionId() != leaseId) {
          if (waiter != null) {
            waiter.out.completeExceptionally(new SessionLostException("the etcd lease "
                + Long.toHexString(t.sessionId()) + " of ticket " + key + " expired", true));
          }
          return;
        }
        // Belt and braces: the engine forgets a lost ticket, so it must really be gone (a no-op if it is).
        cleanUp(key, t.sessionId(), false);
        try {
          listener.ticketLost(t);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "backend listener failed on ticketLost", e);
        }
        if (waiter != null) {
          waiter.out.completeExceptionally(new TicketLostException("ticket " + key + " in election '" + election
              + "' was deleted by someone else"));
        }
      });
    }

    /**
     * Reads our key and our predecessor (the largest create revision below ours) at one revision. One read per line
     * is in flight at a time; the waiters that need one meanwhile share the next.
     */
    void read(Waiter w) {
      ++w.reads;
      watches.cancel(w.predecessorWatch);
      w.predecessorWatch = null;
      w.phase = Phase.READING;
      toRead.add(w);
      pumpReads();
    }

    void pumpReads() {
      if (dead || toRead.isEmpty()) {
        return;
      }
      // The waiter of our earliest ticket is the only one of ours that can be first in line (each other one is
      // behind it): its read goes at once and before queued joins. The others can wait their turn.
      Waiter first = null;
      for (Waiter w : toRead) {
        if (first == null || w.ticket.token() < first.ticket.token()) {
          first = w;
        }
      }
      if (first != null && current(first, first.reads) && waiters.get(first.ticket.key()) == first
          && earliestOwned(first.ticket.token())) {
        toRead.remove(first);
        readOne(first, true, false, PREDECESSOR_PAGE);
      }
      if (lineReading || toRead.isEmpty()) {
        return;
      }
      List<Waiter> batch = new ArrayList<>(toRead.size());
      for (Waiter w : toRead) {
        if (w.phase == Phase.READING && waiters.get(w.ticket.key()) == w) {
          batch.add(w);
        }
      }
      toRead.clear();
      if (batch.isEmpty()) {
        return;
      }
      lineReading = true;
      if (batch.size() == 1) {
        readOne(batch.get(0), false, true, PREDECESSOR_PAGE);
        return;
      }
      int[] seqs = new int[batch.size()];
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] = batch.get(i).reads;
      }
      // Many waiters: one read of the whole line answers them all. etcd reads the whole range for a sorted or
      // create-revision-bounded get anyway (the limit applies after sorting), so a read per waiter costs the server
      // the line's length each: 10,000 candidates joining one election made 10,000 such reads, and no leader for
      // half a minute. Keys only: the lease and create revision come along, values stay on the server.
      io("waiting for the head of election '" + election + "'",
          () -> kv.get(prefixBytes(), GetOption.builder().isPrefix(true).withKeysOnly(true).build()))
          .whenComplete((r, e) -> {
            lineReading = false;
            if (e != null) {
              for (int i = 0; i < seqs.length; i++) {
                readFailed(batch.get(i), seqs[i], e);
              }
            } else {
              resolve(batch, seqs, r.getKvs(), r.getHeader().getRevision());
            }
            pumpReads();
          });
    }

    /** The tickets among {@code kvs} (SPEC rule 4.8): keys directly under this election with a ticket name. */
    List<KeyValue> tickets(List<KeyValue> kvs) {
      String prefix = prefix(election);
      List<KeyValue> out = new ArrayList<>(kvs.size());
      for (KeyValue k : kvs) {
        if (TicketNames.ticketName(k.getKey().toString(UTF_8), prefix) != null) {
          out.add(k);
        }
      }
      return out;
    }

    /** Whether no ticket of ours in this line was created before {@code token}. */
    boolean earliestOwned(long token) {
      for (Ticket t : owned.values()) {
        if (t.token() < token) {
          return false;
        }
      }
      return true;
    }

    /**
     * One waiter's own read: our key and the {@code limit} keys created last before it (0: all), keys only, in one
     * transaction. Our predecessor is the latest ticket among them; keys that are not tickets (SPEC rule 4.8) are
     * skipped, and a page of nothing but such keys is read again, eight times larger.
     */
    void readOne(Waiter w, boolean urgent, boolean batchSlot, int limit) {
      int seq = w.reads;
      ByteSequence own = bytes(w.ticket.key());
      GetOption before = GetOption.builder().isPrefix(true)
          .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.DESCEND)
          .withMaxCreateRevision(w.ticket.token() - 1).withLimit(limit).withKeysOnly(true).build();
      io("waiting for the head of election '" + election + "'",
          () -> kv.txn().Then(Op.get(own, GetOption.DEFAULT), Op.get(prefixBytes(), before)).commit(), urgent)
          .whenComplete((r, e) -> {
            if (e == null && current(w, seq)) {
              List<GetResponse> gets = r.getGetResponses();
              List<KeyValue> mine = gets.get(0).getKvs();
              String prefix = prefix(election);
              String pred = null;
              for (KeyValue k : gets.get(1).getKvs()) {
                String key = k.getKey().toString(UTF_8);
                if (TicketNames.ticketName(key, prefix) != null) {
                  pred = key;
                  break;
                }
              }
              boolean more = gets.get(1).isMore();
              if (pred == null && more) {
                readOne(w, urgent, batchSlot, limit >= MAX_PREDECESSOR_PAGE ? 0 : limit * 8);
                return;
              }
              if (batchSlot) {
                lineReading = false;
              }
              readDone(w, mine.isEmpty() ? 0 : mine.get(0).getLease(), pred, r.getHeader().getRevision());
            } else {
              if (batchSlot) {
                lineReading = false;
              }
              if (e != null) {
                readFailed(w, seq, e);
              }
            }
            pumpReads();
          });
    }

    void resolve(List<Waiter> batch, int[] seqs, List<KeyValue> kvs, long revision) {
      KeyValue[] line = tickets(kvs).toArray(new KeyValue[0]);
      java.util.Arrays.sort(line, java.util.Comparator.comparingLong(KeyValue::getCreateRevision));
      long[] creates = new long[line.length];
      Set<String> wanted = new HashSet<>();
      for (Waiter w : batch) {
        wanted.add(w.ticket.key());
      }
      Map<String, Long> leaseOf = new HashMap<>();
      for (int i = 0; i < line.length; i++) {
        creates[i] = line[i].getCreateRevision();
        String key = line[i].getKey().toString(UTF_8);
        if (wanted.contains(key)) {
          leaseOf.put(key, line[i].getLease());
        }
      }
      for (int i = 0; i < batch.size(); i++) {
        Waiter w = batch.get(i);
        if (dead) {
          return;
        }
        if (!current(w, seqs[i])) {
          continue;
        }
        // How many keys were created before ours; the last of them is our predecessor.
        int below = lowerBound(creates, w.ticket.token());
        String pred = below == 0 ? null : line[below - 1].getKey().toString(UTF_8);
        readDone(w, leaseOf.getOrDefault(w.ticket.key(), 0L), pred, revision);
      }
    }

    boolean current(Waiter w, int seq) {
      return w.reads == seq && w.phase == Phase.READING && !dead;
    }

    void readFailed(Waiter w, int seq, Throwable e) {
      if (!current(w, seq)) {
        return;
      }
      if (e instanceof SessionLostException s && s.expired()) {
        leaseLost(w.ticket.sessionId(), e);
        return;
      }
      // Stay pending while etcd is unreachable (the session decides whether it is lost).
      w.phase = Phase.RETRYING;
      loop.schedule(() -> {
        if (w.reads == seq && w.phase == Phase.RETRYING && !dead) {
          read(w);
        }
      }, RETRY_MILLIS * 2, TimeUnit.MILLISECONDS);
    }

    /**
     * The answer of a read at {@code revision}: the lease our key has (0: gone) and our predecessor (null: none).
     * With a predecessor, the waiter watches its key alone, from now rather than from the read's next revision: a
     * watch from a past revision waits for etcd's 100 ms catch-up loop. If the store moved on between the read and
     * the watch, one get tells whether the predecessor went in that gap. When it goes, the waiter reads again, as
     * a ticket created between it and us (by an earlier create that committed late) may now precede us.
     */
    void readDone(Waiter w, long ownLease, String pred, long revision) {
      if (ownLease != w.ticket.sessionId()) {
        // No phantom leadership: our key is gone, so is our place.
        ownKeyDeleted(w.ticket.key());
        return;
      }
      if (pred == null) {
        complete(w);
        return;
      }
      int seq = w.reads;
      w.phase = Phase.WAITING;
      w.predecessorWatch = watches.watchDeletes(bytes(pred), 0, new WatchStream.Listener() {
        @Override
        public void started(long watchRevision) {
          if (watchRevision > revision) {
            checkPredecessor(w, seq, pred);
          }
        }

        @Override
        public void events(List<io.etcd.jetcd.api.Event> events) {
          predecessorGone(w, seq);
        }

        @Override
        public void lost(String why) {
          predecessorGone(w, seq);
        }
      });
    }

    /** Whether our predecessor's key still exists; if not, it went before its watch began. */
    void checkPredecessor(Waiter w, int seq, String pred) {
      io("waiting for the head of election '" + election + "'",
          () -> kv.get(bytes(pred), GetOption.builder().withKeysOnly(true).build()),
          earliestOwned(w.ticket.token())).whenComplete((r, e) -> {
            if (e != null || r.getKvs().isEmpty()) {
              predecessorGone(w, seq);
            }
          });
    }

    /**
     * Our predecessor's key was deleted (or its watch lost): read again. No shortcut to "we lead" here: our own
     * key's delete travels on another watch of the stream, and etcd orders the events of different watches only
     * across revisions, not within one (a range delete, or a lease ending, removes both keys at one revision).
     */
    void predecessorGone(Waiter w, int seq) {
      if (w.reads != seq || w.phase != Phase.WAITING || dead) {
        return;
      }
      read(w);
    }

    void complete(Waiter w) {
      finish(w);
      waiters.remove(w.ticket.key(), w);
      if (w.ticket.sessionId() != leaseId) {
        w.out.completeExceptionally(new SessionLostException("the etcd lease of ticket " + w.ticket.key()
            + " expired", true));
        return;
      }
      w.out.complete(null);
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
      ownWatches.values().forEach(watches::cancel);
      ownWatches.clear();
      if (head != null) {
        head.fail(why);
        head = null;
      }
    }
  }
}
