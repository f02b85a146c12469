package dev.elector.etcd;

import static dev.elector.etcd.TicketNames.bytes;

import dev.elector.BackendUnavailableException;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The orphan-proof create of a ticket (SPEC rule 1.5). A join whose outcome is unknown (its answer lost, then the
 * retries given up) cleans its key up; but its create may still commit later: etcd does not order requests sent on
 * different connections, and a proposal forwarded by a member cut off from the Raft leader can commit long after.
 * A plain delete that ran first would leave the late key alive under our live lease, a ticket nobody waits on, and
 * nobody leads once it reaches the head. So each ticket key K has a fence key K + FENCE, and:
 *
 * <pre>
 *   create  = txn  if (K absent &amp;&amp; fence absent) then put(K, lease L)      else get(K)
 *   cleanUp = txn  put(fence, lease L); delete(K)                          (retried until it commits or L is gone)
 * </pre>
 *
 * etcd applies transactions one at a time in revision order. If the create commits first, the clean-up deletes K.
 * If the clean-up commits first, then at the create's revision either L lives, and so does the fence (put with
 * L, never deleted by us), so the create's compare fails; or L is gone, and the put fails with "lease not found".
 * Either way no K exists after both, and every retry of the create is one more create of the same kind. The
 * fence costs one small key per unknown-outcome join, living until the lease ends; it sits a level below the
 * election (K/fence), which is not a ticket (SPEC rule 4.8), so no line reads or lists it. A key whose create was
 * sent once and is known to have committed is removed with a plain delete; one whose create was sent more than once
 * is removed fenced too ({@link Tickets#own}), since an earlier attempt may still commit after the key's removal and
 * make it again, alive under our lease, in nobody's line.
 *
 * <p>{@link #submit} is loop-confined after its hop onto the loop. A create retries while its lease is the current
 * one and the operation timeout has not passed since the call; the ticket is handed to {@link Tickets} only if its
 * lease is still the current one when the answer comes, else its key is cleaned up.
 */
final class Enqueue {
  private static final String FENCE = "/fence";

  private final EtcdSession session;
  private final Ops ops;
  private final KV kv;
  private final Tickets tickets;
  private final Loop loop;
  private final String root;
  private final Duration opTimeout;

  Enqueue(EtcdSession session, Ops ops, KV kv, Tickets tickets, Loop loop, String root, Duration opTimeout) {
    this.session = session;
    this.ops = ops;
    this.kv = kv;
    this.tickets = tickets;
    this.loop = loop;
    this.root = root;
    this.opTimeout = opTimeout;
  }

  /** Creates a ticket for {@code candidateId} at the back of {@code election}'s line. Any thread. */
  CompletionStage<Ticket> submit(String election, String candidateId, byte[] data) {
    CompletableFuture<Ticket> out = new CompletableFuture<>();
    byte[] value = TicketCodec.encode(candidateId, data);
    loop.run(() -> {
      String what = "joining election '" + election + "'";
      if (ops.unusable(out, what)) {
        return;
      }
      long lease = session.leaseId();
      // The uuid makes the key unique for all time, so a retry after a lost answer finds its own key.
      String key = TicketNames.prefix(root, election) + TicketNames.create(lease);
      createTicket(election, candidateId, key, value, lease, System.nanoTime(), false, out);
    });
    return out;
  }

  /** One attempt of a create; {@code retried} if an earlier attempt of the same call was sent. */
  private void createTicket(String election, String candidateId, String key, byte[] value, long lease,
      long started, boolean retried, CompletableFuture<Ticket> out) {
    String what = "joining election '" + election + "'";
    ops.io(what, () -> Enqueue.createTxn(kv, key, value, lease)).whenComplete((r, e) -> {
          if (e == null && !r.isSucceeded() && r.getGetResponses().get(0).getKvs().isEmpty()) {
            // Fenced: this call's own clean-up ran (the call was given up); nothing of it may remain.
            out.completeExceptionally(new BackendUnavailableException(what + " failed: the join was given up"));
            return;
          }
          if (e == null) {
            // Else-branch: an earlier attempt of this same call created the key and its answer was lost.
            long token = r.isSucceeded()
                ? r.getHeader().getRevision()
                : r.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
            if (session.state() == State.CLOSED || lease != session.leaseId()) {
              // No clean-up: the key went with its lease, or goes with the revoke of the closing session.
              ops.unusable(out, what);
              if (!out.isDone()) {
                out.completeExceptionally(new SessionLostException(what + " failed: the etcd lease expired", true));
              }
              return;
            }
            Ticket t = new Ticket(election, candidateId, key, token, lease);
            tickets.own(tickets.lineOf(election), t, retried);
            out.complete(t);
            return;
          }
          if (Ops.retryable(e) && lease == session.leaseId() && session.state() != State.CLOSED
              && System.nanoTime() - started < opTimeout.toNanos()) {
            loop.schedule(() -> createTicket(election, candidateId, key, value, lease, started, true, out),
                EtcdSession.RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return;
          }
          // The transaction may have been applied although its answer was lost, or may still be: never leave an
          // orphan behind.
          tickets.cleanUp(key, lease, true);
          if (e instanceof SessionLostException s && s.expired()) {
            session.leaseLost(lease, e);
          }
          out.completeExceptionally(e);
        });
  }

  /** The transaction that creates ticket {@code key} unless it, or its fence, exists; else it reads the key. */
  static CompletableFuture<TxnResponse> createTxn(KV kv, String key, byte[] value, long lease) {
    ByteSequence k = bytes(key);
    return kv.txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
            new Cmp(bytes(key + FENCE), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(k, ByteSequence.from(value), PutOption.builder().withLeaseId(lease).build()))
        .Else(Op.get(k, GetOption.DEFAULT))
        .commit();
  }

  /** The transaction that removes a key whose create may still be in flight: fence it, then delete it. */
  static CompletableFuture<TxnResponse> cleanUpTxn(KV kv, String key, long lease) {
    return kv.txn().Then(
        Op.put(bytes(key + FENCE), ByteSequence.EMPTY, PutOption.builder().withLeaseId(lease).build()),
        Op.delete(bytes(key), DeleteOption.DEFAULT)).commit();
  }
}
