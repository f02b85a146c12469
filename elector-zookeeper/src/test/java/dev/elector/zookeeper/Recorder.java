package dev.elector.zookeeper;

import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import java.util.ArrayList;
import java.util.List;

/** Records what a backend reports, for assertions. */
final class Recorder implements BackendListener {
  private final List<SessionEvent> events = new ArrayList<>();
  private final List<Ticket> lost = new ArrayList<>();

  @Override
  public synchronized void sessionEvent(SessionEvent event) {
    events.add(event);
  }

  @Override
  public synchronized void ticketLost(Ticket ticket) {
    lost.add(ticket);
  }

  synchronized List<SessionEvent> events() {
    return List.copyOf(events);
  }

  synchronized List<SessionEvent.Kind> kinds() {
    return events.stream().map(SessionEvent::kind).toList();
  }

  synchronized List<Ticket> lost() {
    return List.copyOf(lost);
  }
}
