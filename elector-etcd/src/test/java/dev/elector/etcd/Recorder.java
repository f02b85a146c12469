package dev.elector.etcd;

import dev.elector.spi.BackendListener;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a backend reports, with the monotonic time of each event. */
final class Recorder implements BackendListener {
  record Timed(SessionEvent event, long nanos) {}

  final List<Timed> events = new CopyOnWriteArrayList<>();
  final List<Ticket> lost = new CopyOnWriteArrayList<>();

  @Override
  public void sessionEvent(SessionEvent event) {
    events.add(new Timed(event, System.nanoTime()));
  }

  @Override
  public void ticketLost(Ticket ticket) {
    lost.add(ticket);
  }

  List<SessionEvent.Kind> kinds() {
    return events.stream().map(t -> t.event().kind()).toList();
  }

  /** The time of the first event of this kind, or -1. */
  long first(SessionEvent.Kind kind) {
    return events.stream().filter(t -> t.event().kind() == kind).mapToLong(Timed::nanos).findFirst().orElse(-1);
  }
}
