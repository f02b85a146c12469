package dev.elector.etcd;

import dev.elector.ClosedException;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.support.HeadPublisher;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

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
  private final ScheduledExecutorService loop;
  /** Runs an SPI call's work on the loop; see {@link EtcdBackend}. */
  private final Executor runOnLoop;
  private final String root;

  HeadWatches(EtcdSession session, Tickets tickets, LineReader reader, ScheduledExecutorService loop,
      Executor runOnLoop, String root) {
    this.session = session;
    this.tickets = tickets;
    this.reader = reader;
    this.loop = loop;
    this.runOnLoop = runOnLoop;
    this.root = root;
  }

  HeadWatch watch(String election, HeadListener headListener) {
    HeadPublisher sub = new HeadPublisher(headListener, cancelled -> runOnLoop.execute(() -> {
      Line line = tickets.line(election);
      if (line != null) {
        removeHead(line, cancelled);
      }
    }));
    runOnLoop.execute(() -> {
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
