package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.concurrent.CompletableFuture;

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
 * election (K/fence), which is not a ticket (SPEC rule 4.8), so no line reads or lists it. Keys whose create is
 * known to have committed are removed with a plain delete.
 */
final class Enqueue {
  private static final String FENCE = "/fence";

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

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private Enqueue() {}
}
