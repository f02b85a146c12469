package dev.elector.etcd;

import dev.elector.spi.Ticket;
import java.util.concurrent.CompletableFuture;

/**
 * One {@code awaitHead} call of a ticket, in the {@link Line} it was made in; {@link HeadWait} drives it.
 * Loop-confined. One lives per waiting ticket (heap per candidate is measured): its fields are all it has.
 */
final class Waiter {
  /** Where a waiter stands: reading, retrying a failed read, watching its predecessor, or finished. */
  enum Phase { READING, RETRYING, WAITING, DONE }

  final Line line;
  final Ticket ticket;
  final CompletableFuture<Void> out;
  Phase phase = Phase.READING;
  /** Counts reads: an answer or event for an older read or watch is stale. */
  int reads;
  /** The watch on the predecessor's key while {@link Phase#WAITING}. */
  WatchStream.Handle predecessorWatch;

  Waiter(Line line, Ticket ticket, CompletableFuture<Void> out) {
    this.line = line;
    this.ticket = ticket;
    this.out = out;
  }
}
