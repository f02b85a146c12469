package dev.elector.etcd;

import static dev.elector.etcd.TicketNames.bytes;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.etcd.Waiter.Phase;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code awaitHead}: one ticket waiting to be first in line. Its {@link Waiter} reads its own key and its
 * predecessor (the latest ticket created before it) at one revision, and either is first or watches only its
 * predecessor's key, so a handoff wakes only the successor. Reads of one line are shared: one is in flight at a
 * time, and the waiters that need one meanwhile share the next (one read of the whole line, keys only).
 *
 * <p>Loop-confined. Invariants: {@link Waiter#reads} fences stale answers and events (an answer or event for an
 * earlier read or watch of the waiter is dropped), its {@link Phase} says which may act, and a superseded or finished
 * waiter ({@link Phase#DONE}) acts no more; a line that is {@code dead} drops every answer. A wait completes only
 * while its ticket's lease is the current one, and a waiter whose own key is gone is handed to
 * {@link Tickets#ownKeyDeleted}, never elected.
 */
final class HeadWait {
  /**
   * How many keys a waiter's read of its predecessor asks for first. One would do if every key were a ticket; a few
   * more let it skip keys Elector did not write (SPEC rule 4.8) in the same read. A page of nothing but such keys
   * is read again, eight times larger, up to the whole line past {@link #MAX_PREDECESSOR_PAGE}.
   */
  private static final int PREDECESSOR_PAGE = 4;
  private static final int MAX_PREDECESSOR_PAGE = 256;

  private final EtcdSession session;
  private final Ops ops;
  private final KV kv;
  private final Tickets tickets;
  private final WatchStream watches;
  private final Loop loop;
  private final String root;

  HeadWait(EtcdSession session, Ops ops, KV kv, Tickets tickets, Loop loop, String root) {
    this.session = session;
    this.ops = ops;
    this.kv = kv;
    this.tickets = tickets;
    this.watches = tickets.watches;
    this.loop = loop;
    this.root = root;
  }

  CompletionStage<Void> await(Ticket ticket) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    loop.run(() -> {
      String what = "waiting for the head of election '" + ticket.election() + "'";
      if (session.state() == State.CLOSED) {
        ops.unusable(out, what);
        return;
      }
      if (ticket.sessionId() != session.leaseId()) {
        out.completeExceptionally(new SessionLostException(
            what + " failed: the ticket's etcd lease " + Long.toHexString(ticket.sessionId()) + " expired", true));
        return;
      }
      Line line = tickets.line(ticket.election());
      if (line == null || !line.owned.containsKey(ticket.key())) {
        out.completeExceptionally(new TicketLostException(
            what + " failed: ticket " + ticket.key() + " is not in line (removed or deleted)"));
        return;
      }
      startWait(line, ticket, out);
    });
    return out;
  }

  private void startWait(Line line, Ticket ticket, CompletableFuture<Void> out) {
    Waiter w = new Waiter(line, ticket, out);
    Waiter old = line.waiters.put(ticket.key(), w);
    if (old != null) {
      // Superseded (SPI contract): its stage may stay pending, but it must no longer act.
      line.finish(old);
    }
    read(w);
  }

  /** Computed when needed rather than kept: a line per election adds up. */
  private ByteSequence prefixBytes(Line line) {
    return bytes(TicketNames.prefix(root, line.election));
  }

  /**
   * Reads our key and our predecessor (the largest create revision below ours) at one revision. One read per line
   * is in flight at a time; the waiters that need one meanwhile share the next.
   */
  private void read(Waiter w) {
    ++w.reads;
    watches.cancel(w.predecessorWatch);
    w.predecessorWatch = null;
    w.phase = Phase.READING;
    w.line.toRead.add(w);
    pumpReads(w.line);
  }

  private void pumpReads(Line line) {
    if (line.dead || line.toRead.isEmpty()) {
      return;
    }
    // The waiter of our earliest ticket is the only one of ours that can be first in line (each other one is
    // behind it): its read goes at once and before queued joins. The others can wait their turn.
    Waiter first = null;
    for (Waiter w : line.toRead) {
      if (first == null || w.ticket.token() < first.ticket.token()) {
        first = w;
      }
    }
    if (first != null && current(first, first.reads) && line.waiters.get(first.ticket.key()) == first
        && earliestOwned(line, first.ticket.token())) {
      line.toRead.remove(first);
      readOne(first, true, false, PREDECESSOR_PAGE);
    }
    if (line.lineReading || line.toRead.isEmpty()) {
      return;
    }
    List<Waiter> batch = new ArrayList<>(line.toRead.size());
    for (Waiter w : line.toRead) {
      if (w.phase == Phase.READING && line.waiters.get(w.ticket.key()) == w) {
        batch.add(w);
      }
    }
    line.toRead.clear();
    if (batch.isEmpty()) {
      return;
    }
    line.lineReading = true;
    if (batch.size() == 1) {
      readOne(batch.get(0), false, true, PREDECESSOR_PAGE);
      return;
    }
    int[] seqs = new int[batch.size()];
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = batch.get(i).reads;
    }
    // Many waiters: one read of the whole line answers them all. etcd reads the whole range for a sorted or
    // create-revision-bounded get anyway (the limit applies after sorting), so a read per waiter costs the server
    // the line's length each: 10,000 candidates joining one election made 10,000 such reads, and no leader for
    // half a minute. Keys only: the lease and create revision come along, values stay on the server.
    ops.io("waiting for the head of election '" + line.election + "'",
        () -> kv.get(prefixBytes(line), GetOption.builder().isPrefix(true).withKeysOnly(true).build()))
        .whenComplete((r, e) -> {
          line.lineReading = false;
          if (e != null) {
            for (int i = 0; i < seqs.length; i++) {
              readFailed(batch.get(i), seqs[i], e);
            }
          } else {
            resolve(line, batch, seqs, r.getKvs(), r.getHeader().getRevision());
          }
          pumpReads(line);
        });
  }

  /** The tickets among {@code kvs} (SPEC rule 4.8): keys directly under this election with a ticket name. */
  private List<KeyValue> tickets(Line line, List<KeyValue> kvs) {
    String prefix = TicketNames.prefix(root, line.election);
    List<KeyValue> out = new ArrayList<>(kvs.size());
    for (KeyValue k : kvs) {
      if (TicketNames.ticketName(k.getKey().toString(UTF_8), prefix) != null) {
        out.add(k);
      }
    }
    return out;
  }

  /** Whether no ticket of ours in this line was created before {@code token}. */
  private static boolean earliestOwned(Line line, long token) {
    for (Ticket t : line.owned.values()) {
      if (t.token() < token) {
        return false;
      }
    }
    return true;
  }

  /**
   * One waiter's own read: our key and the {@code limit} keys created last before it (0: all), keys only, in one
   * transaction. Our predecessor is the latest ticket among them; keys that are not tickets (SPEC rule 4.8) are
   * skipped, and a page of nothing but such keys is read again, eight times larger.
   */
  private void readOne(Waiter w, boolean urgent, boolean batchSlot, int limit) {
    Line line = w.line;
    int seq = w.reads;
    ByteSequence own = bytes(w.ticket.key());
    GetOption before = GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.DESCEND)
        .withMaxCreateRevision(w.ticket.token() - 1).withLimit(limit).withKeysOnly(true).build();
    ops.io("waiting for the head of election '" + line.election + "'",
        () -> kv.txn().Then(Op.get(own, GetOption.DEFAULT), Op.get(prefixBytes(line), before)).commit(), urgent)
        .whenComplete((r, e) -> {
          if (e == null && current(w, seq)) {
            List<GetResponse> gets = r.getGetResponses();
            List<KeyValue> mine = gets.get(0).getKvs();
            String prefix = TicketNames.prefix(root, line.election);
            String pred = null;
            for (KeyValue k : gets.get(1).getKvs()) {
              String key = k.getKey().toString(UTF_8);
              if (TicketNames.ticketName(key, prefix) != null) {
                pred = key;
                break;
              }
            }
            boolean more = gets.get(1).isMore();
            if (pred == null && more) {
              readOne(w, urgent, batchSlot, limit >= MAX_PREDECESSOR_PAGE ? 0 : limit * 8);
              return;
            }
            if (batchSlot) {
              line.lineReading = false;
            }
            readDone(w, ownLease(w, mine.isEmpty() ? null : mine.get(0)), pred, r.getHeader().getRevision());
          } else {
            if (batchSlot) {
              line.lineReading = false;
            }
            if (e != null) {
              readFailed(w, seq, e);
            }
          }
          pumpReads(line);
        });
  }

  private void resolve(Line line, List<Waiter> batch, int[] seqs, List<KeyValue> kvs, long revision) {
    KeyValue[] sorted = tickets(line, kvs).toArray(new KeyValue[0]);
    java.util.Arrays.sort(sorted, java.util.Comparator.comparingLong(KeyValue::getCreateRevision));
    long[] creates = new long[sorted.length];
    Set<String> wanted = new HashSet<>();
    for (Waiter w : batch) {
      wanted.add(w.ticket.key());
    }
    Map<String, KeyValue> ownKeys = new HashMap<>();
    for (int i = 0; i < sorted.length; i++) {
      creates[i] = sorted[i].getCreateRevision();
      String key = sorted[i].getKey().toString(UTF_8);
      if (wanted.contains(key)) {
        ownKeys.put(key, sorted[i]);
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      Waiter w = batch.get(i);
      if (line.dead) {
        return;
      }
      if (!current(w, seqs[i])) {
        continue;
      }
      // How many keys were created before ours; the last of them is our predecessor.
      int below = lowerBound(creates, w.ticket.token());
      String pred = below == 0 ? null : sorted[below - 1].getKey().toString(UTF_8);
      readDone(w, ownLease(w, ownKeys.get(w.ticket.key())), pred, revision);
    }
  }

  /**
   * The lease of the waiter's own key as read ({@code mine}: that key, or null), or 0 if it is gone. A key of the
   * same name created again (a create that committed after the key was deleted) is not our ticket: its create
   * revision differs from our token, and it would stand elsewhere in line.
   */
  private static long ownLease(Waiter w, KeyValue mine) {
    return mine == null || mine.getCreateRevision() != w.ticket.token() ? 0 : mine.getLease();
  }

  /** The index of the first element of the sorted {@code a} that is not below {@code v}. */
  private static int lowerBound(long[] a, long v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static boolean current(Waiter w, int seq) {
    return w.reads == seq && w.phase == Phase.READING && !w.line.dead;
  }

  private void readFailed(Waiter w, int seq, Throwable e) {
    if (!current(w, seq)) {
      return;
    }
    if (e instanceof SessionLostException s && s.expired()) {
      session.leaseLost(w.ticket.sessionId(), e);
      return;
    }
    // Stay pending while etcd is unreachable (the session decides whether it is lost).
    w.phase = Phase.RETRYING;
    loop.schedule(() -> {
      if (w.reads == seq && w.phase == Phase.RETRYING && !w.line.dead) {
        read(w);
      }
    }, EtcdSession.RETRY_MILLIS * 2, TimeUnit.MILLISECONDS);
  }

  /**
   * The answer of a read at {@code revision}: the lease our key has (0: gone) and our predecessor (null: none).
   * With a predecessor, the waiter watches its key alone, from now rather than from the read's next revision: a
   * watch from a past revision waits for etcd's 100 ms catch-up loop. If the store moved on between the read and
   * the watch, one get tells whether the predecessor went in that gap. When it goes, the waiter reads again, as
   * a ticket created between it and us (by an earlier create that committed late) may now precede us.
   */
  private void readDone(Waiter w, long ownLease, String pred, long revision) {
    if (ownLease != w.ticket.sessionId()) {
      // No phantom leadership: our key is gone, so is our place.
      tickets.ownKeyDeleted(w.line, w.ticket.key());
      return;
    }
    if (pred == null) {
      complete(w);
      return;
    }
    int seq = w.reads;
    w.phase = Phase.WAITING;
    w.predecessorWatch = watches.watchDeletes(pred, 0, new WatchStream.Listener() {
      @Override
      public void started(long watchRevision) {
        if (watchRevision > revision) {
          checkPredecessor(w, seq, pred);
        }
      }

      @Override
      public void events(List<io.etcd.jetcd.api.Event> events) {
        predecessorGone(w, seq);
      }

      @Override
      public void lost(String why) {
        predecessorGone(w, seq);
      }
    });
  }

  /** Whether our predecessor's key still exists; if not, it went before its watch began. */
  private void checkPredecessor(Waiter w, int seq, String pred) {
    ops.io("waiting for the head of election '" + w.line.election + "'",
        () -> kv.get(bytes(pred), GetOption.builder().withKeysOnly(true).build()),
        earliestOwned(w.line, w.ticket.token())).whenComplete((r, e) -> {
          if (e != null || r.getKvs().isEmpty()) {
            predecessorGone(w, seq);
          }
        });
  }

  /**
   * Our predecessor's key was deleted (or its watch lost): read again. No shortcut to "we lead" here: our own
   * key's delete travels on another watch of the stream, and etcd orders the events of different watches only
   * across revisions, not within one (a range delete, or a lease ending, removes both keys at one revision).
   */
  private void predecessorGone(Waiter w, int seq) {
    if (w.reads != seq || w.phase != Phase.WAITING || w.line.dead) {
      return;
    }
    read(w);
  }

  private void complete(Waiter w) {
    w.line.finish(w);
    w.line.waiters.remove(w.ticket.key(), w);
    if (w.ticket.sessionId() != session.leaseId()) {
      w.out.completeExceptionally(new SessionLostException("the etcd lease of ticket " + w.ticket.key()
          + " expired", true));
      return;
    }
    w.out.complete(null);
  }
}
