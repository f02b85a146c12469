package dev.elector.internal;

import dev.elector.AccessDeniedException;
import dev.elector.CandidateState;
import dev.elector.ClosedException;
import dev.elector.EndReason;
import dev.elector.SessionLostException;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import dev.elector.spi.support.Errors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The engine-thread half of a candidate: its ticket and the state machine that joins the line, waits to be first,
 * leads, and rejoins after a loss. It extends {@link Candidacy} (what the rest of the library sees of the candidate,
 * and who waits on it); {@link EngineCandidate} extends it with the application's half (one object per candidate,
 * since heap per candidate is measured). Every field declared here, the constants aside, is confined to the
 * client's engine thread.
 *
 * <p>Outstanding backend calls are tagged with {@link #gen}: whenever the candidate abandons its current course
 * (resign, expiry, close, a superseding wait), {@code gen} moves on and late completions of older calls are
 * ignored, so a stale "you are first" can never start a term (SPEC rule 1.5).
 */
abstract class Campaign extends Candidacy {
  static final System.Logger LOG = System.getLogger("dev.elector");
  private static final long RECHECK_MILLIS = 50;

  // Engine-thread state.
  Ticket ticket;
  private int gen;
  private int failures;
  private boolean rejoinScheduled;
  private boolean enqueueInFlight;
  private boolean closeDone;

  Campaign(EngineClient client, String election, String id, byte[] data) {
    super(client, election, id, data);
  }

  /** This candidate, as the client indexes it: {@link EngineCandidate} is the only subclass. */
  private EngineCandidate self() {
    return (EngineCandidate) this;
  }


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
      drain(joinedWaiters, w -> w.complete(null));
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
    drain(electedWaiters, w -> w.complete(tm));
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

  void doResign(CompletableFuture<Void> f) {
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
    client.forget(self());
    CompletionStage<Void> removal = t == null ? CompletableFuture.completedFuture(null) : client.removeTicket(t);
    // The removal completes on a backend thread: the application's stage completes on the callback pool.
    removal.whenComplete((v, e) -> {
      removed.complete(null);
      client.unregister(self());
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
      client.unindex(ticket, self());
    }
    ticket = t;
    if (t != null) {
      client.index(t, self());
    }
  }

  /** The client is closing (or its backend gave up): close, removing the ticket while the session still lets us. */
  void onClientClosed() {
    doClose();
  }
}
