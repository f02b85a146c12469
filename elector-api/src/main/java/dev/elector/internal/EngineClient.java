package dev.elector.internal;

import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.ElectorException;
import dev.elector.SessionListener;
import dev.elector.SessionState;
import dev.elector.Subscription;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import dev.elector.spi.Ticket;
import dev.elector.spi.support.Backoff;
import dev.elector.spi.support.Errors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The engine's client: one backend session, one engine thread, one callback pool.
 *
 * <p>All engine state lives on a single engine thread ({@link #post}); backend callbacks hop onto it at once, so
 * the engine needs no locks, and application code never runs on it unless the application gave a direct executor:
 * listeners go to the executors the application gave, and every stage handed to the application is completed on
 * the callback pool (SPEC rule 3.2). A backend that takes the engine's loop at connect ({@link EngineThreads}) runs
 * on the same thread, so a notification from its client library crosses one thread hand-off to reach the engine.
 */
public final class EngineClient implements ElectionClient {
  private static final System.Logger LOG = System.getLogger("dev.elector");
  private final ClientConfig config;
  private final Backoff rejoinBackoff;
  private final EngineThreads threads = new EngineThreads();
  private volatile ElectionBackend backend;
  // Package-private for SessionEvents, which applies the backend's session events to them on the engine thread.
  volatile SessionState state = SessionState.CONNECTED;
  volatile long sessionId;
  private volatile boolean closed;
  final SessionAnnouncer announcer = new SessionAnnouncer();

  /** Every candidate from its join until its ticket's removal is done: the closing thread ends their terms. */
  private final Set<EngineCandidate> registered = ConcurrentHashMap.newKeySet();

  // Engine-thread state.
  final Set<EngineCandidate> candidates = new LinkedHashSet<>();
  /**
   * Candidates by their ticket's key (engine thread): a lost ticket finds its candidate without a scan, so an
   * election node deleted under 10,000 tickets costs 10,000 lookups, not 10,000 scans of every candidate.
   */
  final Map<String, EngineCandidate> byTicket = new HashMap<>();
  final Map<String, Observation> observations = new HashMap<>();
  final TicketRemovals ticketRemovals = new TicketRemovals(this);

  private EngineClient(ClientConfig config) {
    this.config = config;
    this.rejoinBackoff = new Backoff(50, Math.max(100, Math.min(5_000, config.sessionTimeout().toMillis() / 2)));
  }

  /** Connects through the provider; the config has been validated. */
  public static ElectionClient connect(ElectionProvider provider, ClientConfig config) {
    EngineClient client = new EngineClient(config);
    ElectionBackend b;
    try {
      b = provider.connect(config, new SessionEvents(client), client.threads);
    } catch (RuntimeException e) {
      client.shutdownThreads();
      throw e instanceof ElectorException ? e
          : new BackendUnavailableException("Could not connect to " + config.scheme() + " at " + config.endpoints()
              + ": " + e, e);
    }
    client.backend = b;
    client.post(() -> {
      if (client.sessionId == 0) {
        client.sessionId = b.sessionId();
        client.announcer.opened(client.sessionId);
      }
    }, () -> {});
    return client;
  }

  // ---------------------------------------------------------------- ElectionClient

  @Override
  public ClientConfig config() {
    return config;
  }

  @Override
  public Election election(String name) {
    Checks.name("election name", name);
    checkOpen();
    return new EngineElection(this, name);
  }

  @Override
  public SessionState sessionState() {
    return state;
  }

  @Override
  public long sessionId() {
    ElectionBackend b = backend;
    return closed || b == null ? 0 : b.sessionId();
  }

  @Override
  public Subscription addSessionListener(Executor executor, SessionListener listener) {
    java.util.Objects.requireNonNull(executor, "executor");
    java.util.Objects.requireNonNull(listener, "listener");
    checkOpen();
    SessionAnnouncer.Sub sub = announcer.subscribe(executor, listener);
    post(() -> announcer.add(sub, sessionId), () -> {});
    return sub;
  }

  /**
   * Closes every candidate, cancels every observer and ends the session (SPEC rule 4.2). Every term ends on the
   * calling thread first (rule 1.6), whatever the engine thread is doing; the tickets' removal waits at most the
   * operation timeout (an unreachable backend takes them with the session). Called from a callback that runs on the
   * engine thread (a direct executor), it does the engine's part itself and waits for nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (EngineCandidate c : registered) {
      c.closeForClient();
    }
    if (onEngineThread()) {
      closeCandidatesAndObservers();
      closeBackend();
      announceClosed();
      threads.shutdown();
      return;
    }
    CompletableFuture<Void> removals = new CompletableFuture<>();
    post(() -> closeCandidatesAndObservers().whenComplete((v, e) -> removals.complete(null)),
        () -> removals.complete(null));
    try {
      removals.get(config.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException | ExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "Closing the client: tickets not removed within {0}; they go with the "
          + "session", config.operationTimeout());
    }
    closeBackend();
    CompletableFuture<Void> told = new CompletableFuture<>();
    post(() -> {
      announceClosed();
      told.complete(null);
    }, () -> told.complete(null));
    try {
      told.get(1, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the engine thread is stuck or gone: told below
    }
    shutdownThreads();
    // Whatever the engine did not get to (it was busy, or a removal's retry was dropped with it): finish here.
    announceClosed();
    for (EngineCandidate c : registered) {
      c.abandon();
    }
  }

  /** Engine thread: closes every candidate and observer; completes when every ticket's removal is done. */
  private CompletableFuture<Void> closeCandidatesAndObservers() {
    List<CompletableFuture<Void>> removals = new ArrayList<>();
    for (EngineCandidate c : new ArrayList<>(candidates)) {
      c.onClientClosed();
      removals.add(c.removedFuture()); // not the application's stage: its pool may be busy with their code
    }
    for (Observation o : new ArrayList<>(observations.values())) {
      o.stop();
    }
    observations.clear();
    return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
  }

  private void closeBackend() {
    ElectionBackend b = backend;
    if (b != null) {
      try {
        b.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "Closing the backend session", e);
      }
    }
  }

  /** Tells session listeners CLOSED, once, last (SPEC rule 3.6): from the engine thread, or after it stopped. */
  void announceClosed() {
    state = SessionState.CLOSED;
    announcer.announceClosed(sessionId);
  }

  private void shutdownThreads() {
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return "ElectionClient[" + config.toUri() + ", session=" + Long.toHexString(sessionId) + ", " + state + "]";
  }

  // ---------------------------------------------------------------- engine plumbing

  ElectionBackend backend() {
    return backend;
  }

  void checkOpen() {
    if (closed) {
      throw new ClosedException("The election client for " + config.scheme() + "://" + String.join(",",
          config.endpoints()) + config.root() + " is closed");
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** True while the session events say connected. Engine thread or any thread (volatile). */
  boolean connected() {
    return state == SessionState.CONNECTED && !closed;
  }

  /** The term-validity test (SPEC rules 1.3, 1.4): same session, connected, before the deadline. */
  boolean sessionAlive(long termSession) {
    ElectionBackend b = backend;
    return b != null && !closed && state == SessionState.CONNECTED && b.sessionId() == termSession
        && b.sessionDeadline() - System.nanoTime() > 0;
  }

  /** The session deadline if {@code termSession} is the live session, else an instant in the past. Any thread. */
  long sessionDeadline(long termSession) {
    ElectionBackend b = backend;
    return sessionAlive(termSession) ? b.sessionDeadline() : System.nanoTime() - 1;
  }

  long maxBackoffMillis() {
    return rejoinBackoff.capMillis();
  }

  /** How long a candidate waits before rejoining after a failure: from 50 ms up to half the session timeout. */
  Backoff rejoinBackoff() {
    return rejoinBackoff;
  }

  /** Runs {@code task} on the engine thread, or {@code ifClosed} if the engine is gone. */
  void post(Runnable task, Runnable ifClosed) {
    threads.post(task, ifClosed);
  }

  void schedule(Runnable task, long millis) {
    scheduleNanos(task, TimeUnit.MILLISECONDS.toNanos(millis));
  }

  void scheduleNanos(Runnable task, long nanos) {
    threads.scheduleNanos(task, nanos);
  }

  /** Runs on the callback pool, so application continuations never run on the engine or a backend thread. */
  void onCallbacks(Runnable r) {
    threads.onCallbacks(r);
  }

  /** True on this client's engine thread (a listener on a direct executor runs there). */
  boolean onEngineThread() {
    return threads.inLoop();
  }

  /** A stage for the application, completed on the callback pool with backend errors as ElectorExceptions. */
  <T> CompletionStage<T> toApplication(CompletionStage<T> stage) {
    CompletableFuture<T> f = new CompletableFuture<>();
    stage.whenComplete((v, e) -> onCallbacks(() -> {
      if (e == null) {
        f.complete(v);
      } else {
        f.completeExceptionally(asElector(Errors.unwrap(e)));
      }
    }));
    return f;
  }

  void index(Ticket t, EngineCandidate c) {
    byTicket.put(t.key(), c);
  }

  void unindex(Ticket t, EngineCandidate c) {
    byTicket.remove(t.key(), c);
  }

  void register(EngineCandidate c) {
    registered.add(c);
    post(() -> {
      if (closed) {
        c.onClientClosed();
        return;
      }
      candidates.add(c);
      c.start();
    }, c::onClientClosed);
  }

  void forget(EngineCandidate c) {
    candidates.remove(c);
  }

  /** Any thread: the candidate's close is done, ticket removed or given up. */
  void unregister(EngineCandidate c) {
    registered.remove(c);
  }

  /** Removes a ticket, retrying until it is gone or its session is ({@link TicketRemovals}). */
  CompletionStage<Void> removeTicket(Ticket t) {
    return ticketRemovals.remove(t);
  }

  Observation observation(String election) {
    return observations.computeIfAbsent(election, e -> new Observation(this, e));
  }

  void dropObservation(Observation o) {
    observations.remove(o.election(), o);
  }

  static ElectorException asElector(Throwable t) {
    t = Errors.unwrap(t);
    if (t instanceof ElectorException e) {
      return e;
    }
    return new ElectorException("Backend operation failed: " + t, t);
  }
}
