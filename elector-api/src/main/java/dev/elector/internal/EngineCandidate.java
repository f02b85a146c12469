package dev.elector.internal;

import dev.elector.AccessDeniedException;
import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.SessionLostException;
import dev.elector.Subscription;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import dev.elector.spi.support.Errors;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The candidate state machine. Every field without {@code volatile} is confined to the client's engine thread; the
 * public methods hand their work to that thread and return at once.
 *
 * <p>Outstanding backend calls are tagged with {@link #gen}: whenever the candidate abandons its current course
 * (resign, expiry, close, a superseding wait), {@code gen} moves on and late completions of older calls are
 * ignored, so a stale "you are first" can never start a term (SPEC rule 1.5).
 */
final class EngineCandidate implements Candidate {
  private static final System.Logger LOG = System.getLogger("dev.elector");
  private static final long RECHECK_MILLIS = 50;

  private final EngineClient client;
  private final String election;
  private final String id;
  private volatile byte[] data;
  private volatile CandidateState state = CandidateState.JOINING;
  private volatile Term term;
  private final List<ListenerSub> listeners = new CopyOnWriteArrayList<>();
  /** Completes when the ticket is removed (or given up with the session) after a close; Elector-internal. */
  private final CompletableFuture<Void> removed = new CompletableFuture<>();
  /** The application's view of {@link #removed}: completed on the callback pool, after the term's ended(). */
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  /**
   * Set by the closing thread itself, before anything else: from then on no term of this candidate is valid
   * ({@link Term#isValid()} reads it), however busy the engine thread is (SPEC rule 1.6).
   */
  private volatile boolean closing;
  /** Why the backend refused this candidate for good (for example no permission); null if it did not. */
  private volatile ElectorException refusal;

  // Engine-thread state.
  private Ticket ticket;
  private int gen;
  private int failures;
  private boolean rejoinScheduled;
  private boolean enqueueInFlight;
  private boolean closeDone;
  /** Engine thread, and {@link #abandon()} once the engine has stopped: hence a concurrent queue. */
  private final Queue<CompletableFuture<Leadership>> electedWaiters = new ConcurrentLinkedQueue<>();
  /** Waiting for a ticket in line ({@link #joined()}); like {@link #electedWaiters}, failed on close. */
  private final Queue<CompletableFuture<Void>> joinedWaiters = new ConcurrentLinkedQueue<>();

  EngineCandidate(EngineClient client, String election, String id, byte[] data) {
    this.client = client;
    this.election = election;
    this.id = id;
    this.data = data;
  }

  void addInitialListener(Executor executor, LeadershipListener listener) {
    listeners.add(new ListenerSub(new SerialExecutor(executor), listener));
  }

  // ---------------------------------------------------------------- public API

  @Override
  public String id() {
    return id;
  }

  @Override
  public String election() {
    return election;
  }

  @Override
  public CandidateState state() {
    return state;
  }

  @Override
  public boolean isLeader() {
    Term t = term;
    return t != null && t.isValid();
  }

  @Override
  public Optional<Leadership> leadership() {
    Term t = term;
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  @Override
  public CompletionStage<Void> joined() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> {
      if (closing) {
        client.onCallbacks(() -> f.completeExceptionally(stopped()));
      } else if (ticket != null) {
        client.onCallbacks(() -> f.complete(null));
      } else {
        joinedWaiters.removeIf(CompletableFuture::isDone);
        joinedWaiters.add(f);
      }
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public CompletionStage<Leadership> elected() {
    CompletableFuture<Leadership> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> {
      Term t = term;
      if (closing) {
        client.onCallbacks(() -> f.completeExceptionally(stopped()));
      } else if (t != null && t.isValid()) {
        client.onCallbacks(() -> f.complete(t));
      } else {
        electedWaiters.removeIf(CompletableFuture::isDone);
        electedWaiters.add(f);
      }
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public Leadership awaitLeadership(Duration timeout) throws InterruptedException {
    Checks.positive("timeout", timeout, Duration.ofDays(365));
    CompletableFuture<Leadership> f = elected().toCompletableFuture();
    try {
      return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new ElectorTimeoutException(
          "Candidate '" + id + "' of election '" + election + "' was not elected within " + timeout, timeout);
    } catch (ExecutionException e) {
      throw EngineClient.asElector(e.getCause());
    }
  }

  @Override
  public CompletionStage<Void> resign() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    client.post(() -> doResign(f), () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  @Override
  public CompletionStage<Void> updateData(byte[] newData) {
    byte[] copy = Checks.data(newData, client.config().maxDataBytes());
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(stopped());
      return f;
    }
    data = copy;
    client.post(() -> {
      Ticket t = ticket;
      if (t == null) {
        // Not in line right now: the next ticket carries the new data.
        client.onCallbacks(() -> f.complete(null));
        return;
      }
      client.backend().update(t, copy).whenComplete((v, err) -> {
        Throwable cause = Errors.unwrap(err);
        if (cause == null || cause instanceof TicketLostException) {
          // A lost ticket is replaced by one carrying the new data.
          client.onCallbacks(() -> f.complete(null));
        } else {
          client.onCallbacks(() -> f.completeExceptionally(EngineClient.asElector(cause)));
        }
      });
    }, () -> f.completeExceptionally(stopped()));
    return f;
  }

  @Override
  public Subscription addListener(Executor executor, LeadershipListener listener) {
    java.util.Objects.requireNonNull(executor, "executor");
    java.util.Objects.requireNonNull(listener, "listener");
    if (closing) {
      throw stopped();
    }
    ListenerSub sub = new ListenerSub(new SerialExecutor(executor), listener);
    client.post(() -> {
      listeners.add(sub);
      Term t = term;
      if (t != null && t.endReason() == null) {
        sub.elected(t);
      }
    }, () -> {});
    return () -> {
      sub.cancelled = true;
      listeners.remove(sub);
    };
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    beginClose();
    return closed.minimalCompletionStage();
  }

  /**
   * Sets the closing flag, then reads the current term, then hands the close to the engine thread: a term the
   * engine starts after the read is never valid (the flag), and {@link #doClose()} ends it.
   */
  private Term beginClose() {
    closing = true;
    Term t = term;
    client.post(this::doClose, () -> {
      // The engine is gone: the client closed, and with it the session and the ticket.
      state = CandidateState.CLOSED;
      removed.complete(null);
      client.onCallbacks(() -> closed.complete(null));
    });
    return t;
  }

  /**
   * Ends the term on the calling thread (SPEC rule 1.6, whatever the engine thread is doing): the term is invalid
   * (the closing flag), its {@code ended()} complete and its {@code revoked} queued when this returns; then waits at
   * most the operation timeout for the ticket's removal, which may need an unreachable backend (the ticket goes
   * with the session anyway).
   */
  @Override
  public void close() {
    endHere(beginClose());
    if (client.onEngineThread()) {
      return; // called from a callback on a direct executor: the engine removes the ticket once it returns
    }
    Duration timeout = client.config().operationTimeout();
    try {
      removed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "Candidate ''{0}'' of election ''{1}'': ticket not removed within {2};"
          + " it goes with the session", id, election, timeout);
    } catch (ExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "Closing candidate " + id, e.getCause());
    }
  }

  /**
   * Ends {@code t} on the calling thread, whatever the engine thread is doing (SPEC rule 1.6): invalid (the closing
   * flag, already set), {@code ended()} complete (on the callback pool instead when this is the engine thread, which
   * never runs application continuations) and {@code revoked} queued for every listener that got {@code elected}.
   */
  private void endHere(Term t) {
    if (t == null) {
      return;
    }
    t.end(EndReason.CLOSED);
    if (client.onEngineThread()) {
      t.completeEndedLater();
    } else {
      t.completeEnded();
    }
    for (ListenerSub l : listeners) {
      l.revoked(t, t.endReason());
    }
  }

  /** The client is closing, on the closing thread: this candidate's term ends now, its close goes to the engine. */
  void closeForClient() {
    endHere(beginClose());
  }

  /**
   * The engine stopped (the client closed) before this candidate's close finished there: finish it on the calling
   * thread. Touches only what is safe from any thread; the session took the ticket with it.
   */
  void abandon() {
    closing = true;
    endHere(term);
    state = CandidateState.CLOSED;
    failElectedWaiters();
    removed.complete(null);
    client.onCallbacks(() -> closed.complete(null));
  }

  private void failElectedWaiters() {
    for (CompletableFuture<Leadership> w; (w = electedWaiters.poll()) != null; ) {
      CompletableFuture<Leadership> waiter = w;
      client.onCallbacks(() -> waiter.completeExceptionally(stopped()));
    }
    for (CompletableFuture<Void> w; (w = joinedWaiters.poll()) != null; ) {
      CompletableFuture<Void> waiter = w;
      client.onCallbacks(() -> waiter.completeExceptionally(stopped()));
    }
  }

  /** Completes when the ticket is removed after a close (on any thread): for the client's own close. */
  CompletableFuture<Void> removedFuture() {
    return removed;
  }

  @Override
  public String toString() {
    return "Candidate[election=" + election + ", id=" + id + ", state=" + state + "]";
  }

  private ClosedException closedException() {
    return new ClosedException("Candidate '" + id + "' of election '" + election + "' is closed");
  }

  /** The error for use after the candidate stopped: the backend's refusal if that is why, else "closed". */
  private ElectorException stopped() {
    ElectorException r = refusal;
    return r != null ? r : closedException();
  }

  // ---------------------------------------------------------------- engine thread

  void start() {
    if (closing) {
      return;
    }
    if (client.connected()) {
      enqueue();
    } else {
      state = CandidateState.JOINING; // onConnected/onRecovered will enqueue
    }
  }

  private void enqueue() {
    rejoinScheduled = false;
    state = CandidateState.JOINING;
    int g = ++gen;
    setTicket(null);
    enqueueInFlight = true;
    client.backend().enqueue(election, id, data.clone())
        .whenComplete((t, err) -> client.post(() -> onEnqueued(g, t, err), () -> {
          if (t != null) {
            client.removeTicket(t);
          }
        }));
  }

  private void onEnqueued(int g, Ticket t, Throwable err) {
    if (g == gen) {
      enqueueInFlight = false;
    }
    if (err == null) {
      if (g != gen || closing) {
        client.removeTicket(t); // abandoned while in flight: never leave it in line
        return;
      }
      setTicket(t);
      for (CompletableFuture<Void> w; (w = joinedWaiters.poll()) != null; ) {
        CompletableFuture<Void> waiter = w;
        client.onCallbacks(() -> waiter.complete(null));
      }
      awaitHead();
    } else if (g == gen && !closing) {
      onFailure(Errors.unwrap(err), "joining");
    }
  }

  private void awaitHead() {
    state = CandidateState.WAITING;
    int g = ++gen;
    Ticket t = ticket;
    client.backend().awaitHead(t).whenComplete((v, err) -> client.post(() -> onHead(g, t, err), () -> {}));
  }

  private void onHead(int g, Ticket t, Throwable err) {
    if (g != gen || t != ticket || closing) {
      return;
    }
    if (err != null) {
      onFailure(Errors.unwrap(err), "waiting");
    } else if (client.connected() && client.sessionAlive(t.sessionId())) {
      startTerm(t);
    } else {
      // First in line, but the session is not certainly alive: lead only once it is again.
      suspend();
    }
  }

  private void onFailure(Throwable cause, String doing) {
    if (cause instanceof TicketLostException) {
      setTicket(null);
      scheduleRejoin();
    } else if (cause instanceof SessionLostException s && s.expired()) {
      setTicket(null);
      state = CandidateState.REJOINING;
      if (client.connected()) {
        scheduleRejoin(); // the new session is already open
      }
    } else if (cause instanceof SessionLostException) {
      suspend();
    } else if (cause instanceof ClosedException) {
      state = CandidateState.CLOSED;
    } else if (cause instanceof AccessDeniedException denied) {
      // Retrying cannot help and would hide the misconfiguration: stop, and tell whoever waits for a term.
      LOG.log(System.Logger.Level.WARNING, "Candidate ''{0}'' of election ''{1}'' was refused while {2} and stops:"
          + " {3}", id, election, doing, denied.getMessage());
      refusal = denied;
      doClose();
    } else {
      LOG.log(System.Logger.Level.WARNING, "Candidate ''{0}'' of election ''{1}'' failed while {2}; retrying: {3}",
          id, election, doing, cause);
      int g = ++gen;
      client.schedule(() -> {
        if (g == gen && !closing) {
          if (ticket != null) {
            awaitHead();
          } else {
            enqueue();
          }
        }
      }, backoffMillis());
    }
  }

  private void suspend() {
    state = CandidateState.SUSPENDED;
    if (client.connected()) {
      // Connected by the events but the deadline passed: poll until it is renewed.
      int g = gen;
      client.schedule(() -> recheck(g), RECHECK_MILLIS);
    }
  }

  private void recheck(int g) {
    if (g != gen || closing || state != CandidateState.SUSPENDED || !client.connected()) {
      return;
    }
    if (ticket == null) {
      enqueue();
    } else if (client.sessionAlive(ticket.sessionId())) {
      awaitHead();
    } else {
      client.schedule(() -> recheck(g), RECHECK_MILLIS);
    }
  }

  private void scheduleRejoin() {
    if (closing || rejoinScheduled) {
      return;
    }
    state = CandidateState.REJOINING;
    rejoinScheduled = true;
    int g = ++gen;
    client.schedule(() -> {
      if (g != gen || closing) {
        return;
      }
      rejoinScheduled = false;
      if (client.connected()) {
        enqueue();
      }
    }, backoffMillis());
  }

  /** Full jitter over an exponential ceiling: spreads many candidates rejoining after one expiry. */
  private long backoffMillis() {
    return client.rejoinBackoff().pauseMillis(failures++);
  }

  private void startTerm(Ticket t) {
    failures = 0;
    Term tm = new Term(client, election, id, t.token(), t.sessionId(), () -> closing);
    term = tm;
    // A closing thread sets the flag, then reads the term; this thread sets the term, then reads the flag: one of
    // the two sees the other. A term that finds the flag set was never valid: nobody hears of it, doClose ends it.
    if (closing) {
      return;
    }
    state = CandidateState.LEADING;
    // Queue elected for every listener before running any (a direct executor runs it right here, and may block):
    // a concurrent close() then finds every listener's term and queues its revoked before it returns.
    for (ListenerSub l : listeners) {
      l.queueElected(tm);
    }
    for (ListenerSub l : listeners) {
      l.executor.start();
    }
    for (CompletableFuture<Leadership> w; (w = electedWaiters.poll()) != null; ) {
      CompletableFuture<Leadership> waiter = w;
      client.onCallbacks(() -> waiter.complete(tm));
    }
    scheduleDeadlineCheck(tm);
  }

  private void scheduleDeadlineCheck(Term tm) {
    long delayNanos = Math.max(0, client.backend().sessionDeadline() - System.nanoTime());
    client.scheduleNanos(() -> {
      if (term != tm || closing) {
        return; // a closing candidate's term ends by close(), reason CLOSED
      }
      if (tm.isValid()) {
        scheduleDeadlineCheck(tm);
      } else {
        endTerm(client.connected() ? EndReason.DEADLINE_PASSED : EndReason.SESSION_SUSPENDED);
        suspend();
      }
    }, delayNanos + TimeUnit.MILLISECONDS.toNanos(1));
  }

  private void endTerm(EndReason reason) {
    Term tm = term;
    if (tm == null) {
      return;
    }
    term = null;
    if (tm.end(reason)) {
      tm.completeEndedLater();
    }
    EndReason why = tm.endReason(); // a closing thread may have ended it first
    for (ListenerSub l : listeners) {
      l.revoked(tm, why);
    }
  }

  private void doResign(CompletableFuture<Void> f) {
    if (closing) {
      client.onCallbacks(() -> f.completeExceptionally(stopped()));
      return;
    }
    Term tm = term;
    endTerm(EndReason.RESIGNED);
    Ticket old = ticket;
    failures = 0;
    if (old == null) {
      // Not in line (joining or rejoining): start over at the back.
      if (client.connected()) {
        enqueue();
      }
      completeAfter(tm, f);
      return;
    }
    setTicket(null);
    int g = ++gen;
    state = CandidateState.JOINING;
    client.removeTicket(old).whenComplete((v, err) -> client.post(() -> {
      if (g == gen && !closing) {
        if (client.connected()) {
          enqueue();
        } else {
          state = CandidateState.JOINING;
        }
      }
      completeAfter(tm, f);
    }, () -> client.onCallbacks(() -> f.completeExceptionally(stopped()))));
  }

  /**
   * Completes {@code f} on the callback pool, never on the engine thread, after {@code tm}'s ended stage, so
   * "resign completed" implies "term ended" (rule 1.6). The term has already ended on the engine thread.
   */
  private void completeAfter(Term tm, CompletableFuture<Void> f) {
    client.onCallbacks(() -> {
      if (tm != null) {
        tm.completeEnded();
      }
      f.complete(null);
    });
  }

  void doClose() {
    if (closeDone) {
      return;
    }
    closeDone = true;
    closing = true;
    // The state reads CLOSED before anyone is woken below: an application that sees elected() fail must not then
    // find the candidate still JOINING.
    state = CandidateState.CLOSED;
    gen++;
    Term tm = term;
    endTerm(EndReason.CLOSED);
    failElectedWaiters();
    Ticket t = ticket;
    setTicket(null);
    client.forget(this);
    CompletionStage<Void> removal = t == null ? CompletableFuture.completedFuture(null) : client.removeTicket(t);
    // The removal completes on a backend thread: the application's stage completes on the callback pool.
    removal.whenComplete((v, e) -> {
      removed.complete(null);
      client.unregister(this);
      completeAfter(tm, closed);
    });
  }

  // Session events, engine thread.

  void onSuspended() {
    if (closing) {
      return;
    }
    endTerm(EndReason.SESSION_SUSPENDED);
    if (state == CandidateState.WAITING || state == CandidateState.LEADING) {
      state = CandidateState.SUSPENDED;
    }
  }

  void onRecovered(long sessionId) {
    if (closing) {
      return;
    }
    if (state == CandidateState.SUSPENDED) {
      if (ticket != null && ticket.sessionId() == sessionId) {
        awaitHead(); // supersedes the wait that was pending through the blip
      } else {
        enqueue();
      }
    } else if ((state == CandidateState.JOINING || state == CandidateState.REJOINING) && ticket == null
        && !rejoinScheduled && !enqueueInFlight) {
      enqueue(); // a rejoin's backoff that ran out while suspended did nothing: rejoin now
    }
  }

  void onExpired() {
    if (closing) {
      return;
    }
    endTerm(EndReason.SESSION_EXPIRED);
    setTicket(null);
    gen++;
    enqueueInFlight = false;
    rejoinScheduled = false;
    state = CandidateState.REJOINING;
  }

  void onConnected(long sessionId) {
    if (closing) {
      return;
    }
    if (ticket != null && ticket.sessionId() != sessionId) {
      // A new session without an EXPIRED first: the old ticket went with the old session.
      endTerm(EndReason.SESSION_EXPIRED);
      setTicket(null);
      gen++;
      enqueueInFlight = false;
      rejoinScheduled = false;
    }
    if (ticket == null && !rejoinScheduled && !enqueueInFlight) {
      if (state == CandidateState.REJOINING) {
        scheduleRejoin();
      } else if (state == CandidateState.JOINING || state == CandidateState.SUSPENDED) {
        enqueue();
      }
    }
  }

  void onTicketLost(Ticket lost) {
    if (closing || ticket == null || !ticket.key().equals(lost.key())) {
      return;
    }
    endTerm(EndReason.TICKET_LOST);
    setTicket(null);
    scheduleRejoin();
  }

  /** Every change of the ticket goes through here, so the client can find a lost ticket's candidate by key. */
  private void setTicket(Ticket t) {
    if (ticket != null) {
      client.unindex(ticket, this);
    }
    ticket = t;
    if (t != null) {
      client.index(t, this);
    }
  }

  /** The client is closing (or its backend gave up): close, removing the ticket while the session still lets us. */
  void onClientClosed() {
    doClose();
  }

  /**
   * One registered listener; {@code current} makes elected/revoked alternate for it (SPEC rule 3.1). Its lock guards
   * {@code current} together with queueing the callback, so a closing thread's {@code revoked} can never be queued
   * before the {@code elected} of its term, nor twice; no application code runs under it.
   */
  private static final class ListenerSub {
    final SerialExecutor executor;
    final LeadershipListener listener;
    volatile boolean cancelled;
    /** The term whose elected is queued and whose revoked is not. Guarded by this. */
    private Term current;

    ListenerSub(SerialExecutor executor, LeadershipListener listener) {
      this.executor = executor;
      this.listener = listener;
    }

    /** Engine thread only. */
    void elected(Term t) {
      queueElected(t);
      executor.start();
    }

    /** Queues elected without running it; {@link SerialExecutor#start()} runs it. */
    void queueElected(Term t) {
      synchronized (this) {
        current = t;
        executor.enqueue(() -> {
          if (!cancelled) {
            listener.elected(t);
          }
        });
      }
    }

    /**
     * Any thread. Also starts the listener's queue if the engine queued elected but has not started it yet (it may
     * be held by another listener on a direct executor): revoked is then on its way when this returns.
     */
    void revoked(Term t, EndReason reason) {
      synchronized (this) {
        if (current != t) {
          return;
        }
        current = null;
        executor.enqueue(() -> {
          if (!cancelled) {
            listener.revoked(t, reason);
          }
        });
      }
      executor.start();
    }
  }
}
