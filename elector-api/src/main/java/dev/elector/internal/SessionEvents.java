package dev.elector.internal;

import dev.elector.SessionState;
import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import java.util.ArrayList;

/**
 * What the backend tells a client: its session's events and its lost tickets, applied to the client's candidates
 * and observations on the engine thread. A suspension or expiry also ends validity at once, on the thread that
 * reports it, before the event reaches the engine thread (SPEC rule 1.4); session listeners hear each state change
 * once, in order (rule 3.6).
 */
final class SessionEvents implements BackendListener {
  private final EngineClient client;

  SessionEvents(EngineClient client) {
    this.client = client;
  }

  @Override
  public void sessionEvent(SessionEvent event) {
    if (!client.isClosed()
        && (event.kind() == SessionEvent.Kind.SUSPENDED || event.kind() == SessionEvent.Kind.EXPIRED)) {
      // Make isValid() false at once, before the event reaches the engine thread (SPEC rule 1.4).
      client.state = event.kind() == SessionEvent.Kind.EXPIRED ? SessionState.EXPIRED : SessionState.SUSPENDED;
    }
    client.post(() -> apply(event), () -> {});
  }

  @Override
  public void ticketLost(Ticket ticket) {
    client.post(() -> {
      EngineCandidate c = client.byTicket.get(ticket.key());
      if (c != null) {
        c.onTicketLost(ticket);
      }
    }, () -> {});
  }

  /** Engine thread. */
  private void apply(SessionEvent e) {
    if (client.isClosed() && e.kind() != SessionEvent.Kind.CLOSED) {
      return;
    }
    switch (e.kind()) {
      case CONNECTED -> {
        boolean newSession = e.sessionId() != client.sessionId || client.state == SessionState.EXPIRED;
        client.sessionId = e.sessionId();
        setState(SessionState.CONNECTED, e.sessionId());
        for (EngineCandidate c : new ArrayList<>(client.candidates)) {
          c.onConnected(e.sessionId());
        }
        if (newSession) {
          client.observations.values().forEach(Observation::restart);
        }
      }
      case SUSPENDED -> {
        setState(SessionState.SUSPENDED, e.sessionId());
        for (EngineCandidate c : new ArrayList<>(client.candidates)) {
          c.onSuspended();
        }
      }
      case RECOVERED -> {
        setState(SessionState.CONNECTED, e.sessionId());
        for (EngineCandidate c : new ArrayList<>(client.candidates)) {
          c.onRecovered(e.sessionId());
        }
      }
      case EXPIRED -> {
        setState(SessionState.EXPIRED, e.sessionId());
        client.ticketRemovals.clear();
        for (EngineCandidate c : new ArrayList<>(client.candidates)) {
          c.onExpired();
        }
      }
      case CLOSED -> {
        if (!client.isClosed()) {
          // The backend gave up on its own: nothing can lead through it any more.
          setState(SessionState.CLOSED, e.sessionId());
          for (EngineCandidate c : new ArrayList<>(client.candidates)) {
            c.onClientClosed();
          }
        }
      }
    }
  }

  /** Engine thread: records the state and tells session listeners of each change once (SPEC rule 3.6). */
  private void setState(SessionState s, long id) {
    if (s == SessionState.CLOSED) {
      client.announceClosed();
    } else if (!client.announcer.closedAnnounced()) {
      client.state = s;
      client.announcer.announce(s, id);
    }
  }
}
