package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.Revoke;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.Ticket;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The etcd {@link ElectionBackend}: one etcd session (a lease) and the election lines inside it. It wires its parts
 * and hands each SPI call to the one that owns it.
 * <ul>
 *   <li>{@link EtcdSession}: one lease at a time (a new one after each expiry), its renewals, states and deadline;
 *   <li>{@link Enqueue}: the orphan-proof create of a ticket;
 *   <li>{@link HeadWait}: {@code awaitHead}, watching only the predecessor;
 *   <li>{@link Tickets}: the session's tickets after their create, held per election in a {@link Line}: external
 *       deletes, removal, data updates, keys removed in the background;
 *   <li>{@link LineReader}: the line with values, for {@code line()} and head mirrors;
 *   <li>{@link HeadWatches}: {@code watchHead}, one {@link HeadMirror} per observed line;
 *   <li>{@link Ops}: the bounded queue of calls to etcd; {@link WatchStream}: the session's one watch stream.
 * </ul>
 *
 * <p>Threading: every piece of mutable state is confined to one thread, the backend's {@link Loop} (the engine's,
 * when the engine lends it); jetcd callbacks hop onto it. That orders listener calls as things happened and needs no
 * locks. Only the session's lease id, deadline and
 * state are read from other threads (volatile).
 */
final class EtcdBackend implements ElectionBackend {
  /** The logger of every part of this backend. */
  static final System.Logger LOG = System.getLogger(EtcdBackend.class.getName());
  /**
   * The largest answer accepted (gRPC's default is 4 MiB): one read of a line of 10,000 tickets, keys only, is
   * about 1 MB, and an observer reads the whole line with values.
   */
  static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;

  private final Client client;
  private final Loop loop;
  private final Duration opTimeout;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final EtcdSession session;
  private final Ops ops;
  /** The session's one watch stream: each ticket's own key, each waiter's predecessor, each observed line. */
  private final WatchStream watches;
  private final Tickets tickets;
  private final LineReader lines;
  private final HeadWait headWait;
  private final Enqueue enqueue;
  private final HeadWatches headWatches;

  private EtcdBackend(ClientConfig config, BackendListener listener, Client client, ChannelTap tap, Loop loop) {
    this.client = client;
    this.loop = loop;
    this.opTimeout = config.operationTimeout();
    KV kv = client.getKVClient();
    this.session = new EtcdSession(config, listener, client.getLeaseClient(), loop, this::expired);
    this.ops = new Ops(session, config, loop);
    session.ops(ops);
    this.watches = new WatchStream(tap, loop, EtcdSession::backoff);
    String root = config.root();
    this.tickets = new Tickets(session, ops, kv, watches, loop, listener, opTimeout);
    this.lines = new LineReader(session, ops, kv, loop, config);
    this.headWait = new HeadWait(session, ops, kv, tickets, loop, root);
    this.enqueue = new Enqueue(session, ops, kv, tickets, loop, root, opTimeout);
    this.headWatches = new HeadWatches(session, tickets, lines, loop, root);
  }

  /** Opens a backend with a live lease on {@code loop}, waiting at most the connect timeout. */
  static EtcdBackend open(ClientConfig config, BackendListener listener, Loop loop) {
    ChannelTap tap = new ChannelTap();
    Client client = buildClient(config, tap);
    EtcdBackend b = new EtcdBackend(config, listener, client, tap, loop);
    try {
      b.session.start();
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
    long ttl = TimeUnit.SECONDS.toMillis(EtcdSession.ttlSeconds(config));
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

  @Override
  public long sessionId() {
    return session.leaseId();
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
    return tickets.update(ticket, data);
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    return lines.line(election);
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener headListener) {
    return headWatches.watch(election, headListener);
  }

  /** For tests: clean-ups not finished. */
  int cleanUpsPending() {
    return tickets.cleanUpsPending();
  }

  /** For tests: the watches open on this session's stream. */
  int watchesOpen() {
    return CompletableFuture.supplyAsync(watches::size, loop).join();
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Revoke> closed = new CompletableFuture<>();
    onLoopOrHere(() -> {
      Revoke r = session.shutDown();
      failPending(new ClosedException("the etcd backend is closed"));
      closed.complete(r == null ? Revoke.NONE : r); // null: the closing thread closed the session itself
    });
    Revoke revoke;
    // Whether the loop is held (a callback on a direct executor runs on the engine's thread, which this backend
    // shares) or gone: the lease is revoked from here all the same, or our keys would stand in line until its TTL.
    boolean loopHeld = false;
    try {
      revoke = closed.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      revoke = shutDownHere(closed);
      loopHeld = true;
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "etcd backend did not shut down in time; revoking its lease", e);
      revoke = shutDownHere(closed);
      loopHeld = true;
    } catch (ExecutionException e) {
      revoke = Revoke.NONE;
    }
    long lease = revoke.lease();
    session.revoke(revoke);
    CompletableFuture<Void> done = new CompletableFuture<>();
    long closedLease = lease != 0 ? lease : session.lastLease();
    onLoopOrHere(() -> {
      session.emit(Kind.CLOSED, closedLease);
      done.complete(null);
    });
    try {
      if (!loopHeld) {
        done.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The loop is stuck in a listener; close anyway.
    }
    loop.shutdownNow();
    client.close();
  }

  /**
   * Closes the session from the closing thread, or, if the loop's shut-down got there first (it is running now),
   * takes the revoke it returns, waiting for it however this thread was interrupted.
   */
  private Revoke shutDownHere(CompletableFuture<Revoke> closed) {
    Revoke mine = session.shutDown();
    if (mine != null) {
      return mine;
    }
    boolean interrupted = Thread.interrupted();
    try {
      Revoke theirs = closed.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return theirs == null ? Revoke.NONE : theirs;
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      return Revoke.NONE;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Runs {@code r} on the loop, or at once when called on it: a close from the engine's thread (an application
   * callback on a direct executor, when the engine lent its loop) must not wait for a task queued behind itself.
   */
  private void onLoopOrHere(Runnable r) {
    if (loop.inLoop()) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "etcd backend task failed", e);
      }
    } else {
      loop.run(r);
    }
  }

  /** The lease expired: its lines fail with {@code lost}; the watch stream stays for the next lease. Loop thread. */
  private void expired(SessionLostException lost) {
    tickets.leaseEnded(lost);
  }

  /** Fails everything pending: the backend is closing. Loop thread. */
  private void failPending(ElectorException why) {
    tickets.leaseEnded(why);
    watches.close();
    ops.failQueued();
  }
}
