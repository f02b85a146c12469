package dev.elector.etcd;

import dev.elector.ClosedException;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.support.HeadPublisher;

/**
 * {@code watchHead}: each observer of an election is a {@link HeadPublisher} of its line's one {@link HeadMirror},
 * made for the first observer and stopped with the last. Loop-confined, but for {@link #watch} and a publisher's
 * cancel, which hop onto the loop. A mirror is failed (and dropped) with its line when the lease ends or the backend
 * closes ({@link Line#kill}).
 */
final class HeadWatches {
  private final EtcdSession session;
  private final Tickets tickets;
  private final LineReader reader;
  private final Loop loop;
  private final String root;

  HeadWatches(EtcdSession session, Tickets tickets, LineReader reader, Loop loop, String root) {
    this.session = session;
    this.tickets = tickets;
    this.reader = reader;
    this.loop = loop;
    this.root = root;
  }

  HeadWatch watch(String election, HeadListener headListener) {
    HeadPublisher sub = new HeadPublisher(headListener, cancelled -> loop.run(() -> {
      Line line = tickets.line(election);
      if (line != null) {
        removeHead(line, cancelled);
      }
    }));
    loop.run(() -> {
      if (session.state() == State.CLOSED) {
        sub.fail(new ClosedException("watching election '" + election + "' failed: the etcd backend is closed"));
        return;
      }
      if (session.state() == State.EXPIRED) {
        sub.fail(new SessionLostException("watching election '" + election + "' failed: the etcd lease expired",
            true));
        return;
      }
      addHead(tickets.lineOf(election), sub);
    });
    return sub;
  }

  private void addHead(Line line, HeadPublisher sub) {
    if (line.head == null) {
      line.head = new HeadMirror(line.election, TicketNames.prefix(root, line.election), tickets.watches,
          reader::readTickets, loop);
    }
    line.head.add(sub);
  }

  private void removeHead(Line line, HeadPublisher sub) {
    if (line.head != null && line.head.remove(sub)) {
      line.head = null;
    }
    line.retireWhenIdle();
  }
}
