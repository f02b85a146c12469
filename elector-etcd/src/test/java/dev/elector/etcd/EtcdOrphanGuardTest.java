package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ClientConfig;
import dev.elector.faultproxy.FaultProxy;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A join whose answer was lost gives up and cleans its key up; the create may still commit
 * after the clean-up (etcd does not order requests sent on different connections, and a proposal forwarded by a
 * member cut off from the Raft leader can commit late). The backend's two transactions are run here directly on a
 * real etcd in the bad order, the clean-up first: the late create must not commit, whether its lease is alive or
 * gone. (Forcing that order through the backend itself would need two connections with a proposal held back on
 * one; the guard is what makes it harmless, so the guard is what is tested.) The last test makes the backend send a
 * create twice, then replays the first attempt after the ticket's removal.
 */
class EtcdOrphanGuardTest {
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  private static long keys(String prefix) throws Exception {
    return etcd.admin().getKVClient().get(ByteSequence.from(prefix, UTF_8), GetOption.builder().isPrefix(true)
        .withCountOnly(true).build()).get(5, TimeUnit.SECONDS).getCount();
  }

  private static long ticketCount(String prefix) throws Exception {
    return etcd.admin().getKVClient().get(ByteSequence.from(prefix, UTF_8), GetOption.builder().isPrefix(true)
        .withKeysOnly(true).build()).get(5, TimeUnit.SECONDS).getKvs().stream()
        .filter(kv -> TicketNames.ticketName(kv.getKey().toString(UTF_8), prefix) != null).count();
  }

  @Test
  void aCreateThatArrivesAfterItsCleanUpDoesNotCommit() throws Exception {
    KV kv = etcd.admin().getKVClient();
    long lease = etcd.admin().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    String prefix = "/" + EtcdCluster.unique("orphan") + "/e/";
    String key = prefix + TicketNames.create(lease);
    byte[] value = TicketCodec.encode("a", new byte[0]);

    Enqueue.cleanUpTxn(kv, key, lease).get(5, TimeUnit.SECONDS);
    TxnResponse late = Enqueue.createTxn(kv, key, value, lease).get(5, TimeUnit.SECONDS);
    assertThat(late.isSucceeded()).as("the late create committed").isFalse();
    assertThat(ticketCount(prefix)).as("tickets left under the live lease").isZero();

    // Cleaned up again (a retry of the clean-up): still nothing, and a retry of the create still fails.
    Enqueue.cleanUpTxn(kv, key, lease).get(5, TimeUnit.SECONDS);
    assertThat(Enqueue.createTxn(kv, key, value, lease).get(5, TimeUnit.SECONDS).isSucceeded()).isFalse();
    assertThat(ticketCount(prefix)).isZero();

    // Once the lease is gone, a late create fails on the lease, and the guard went with the lease.
    etcd.admin().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
    try {
      assertThat(Enqueue.createTxn(kv, key, value, lease).get(5, TimeUnit.SECONDS).isSucceeded()).isFalse();
    } catch (ExecutionException e) {
      assertThat(EtcdErrors.leaseNotFound(e)).as("%s", e).isTrue();
    }
    assertThat(keys(prefix)).as("keys left after the lease ended").isZero();
  }

  @Test
  void aCleanUpAfterTheCreateCommittedRemovesTheTicket() throws Exception {
    KV kv = etcd.admin().getKVClient();
    long lease = etcd.admin().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    String prefix = "/" + EtcdCluster.unique("orphan") + "/e/";
    String key = prefix + TicketNames.create(lease);
    assertThat(Enqueue.createTxn(kv, key, TicketCodec.encode("a", new byte[0]), lease)
        .get(5, TimeUnit.SECONDS).isSucceeded()).isTrue();
    Enqueue.cleanUpTxn(kv, key, lease).get(5, TimeUnit.SECONDS);
    assertThat(ticketCount(prefix)).isZero();
    etcd.admin().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
    assertThat(keys(prefix)).isZero();
  }

  /**
   * The retried create through the backend: the first attempt commits but its answer is lost with its connection,
   * so the backend sends the create again and finds its key. An earlier attempt of such a create may still be on its
   * way (held by a member cut off from the Raft leader); replaying its transaction after the ticket's removal stands
   * in for that late commit. It must not make the key again under the live lease, where it would stand in line with
   * nobody waiting on it.
   */
  @Test
  void aTicketWhoseCreateWasRetriedIsRemovedSoThatALateAttemptCannotCommit() throws Exception {
    String root = "/" + EtcdCluster.unique("retried");
    String prefix = root + "/e/";
    try (FaultProxy proxy = FaultProxy.start(etcd.endpoint(0))) {
      ClientConfig config = ClientConfig.builder("etcd").endpoints(proxy.endpoint()).root(root)
          .sessionTimeout(Duration.ofSeconds(10)).connectTimeout(Duration.ofSeconds(3))
          .operationTimeout(Duration.ofSeconds(20)).build();
      try (ElectionBackend b = new EtcdElectionProvider().connect(config, new Recorder())) {
        // The create reaches etcd at once; its answer is held back longer than this test takes to drop it (and
        // less than the operation timeout, within which the backend retries).
        proxy.replyLatency(Duration.ofSeconds(15));
        CompletionStage<Ticket> joined = b.enqueue("e", "a", new byte[0]);
        await().atMost(Duration.ofSeconds(10)).until(() -> ticketCount(prefix) == 1);
        proxy.dropConnections(); // the committed create's answer is lost with its connection
        proxy.heal();
        Ticket t = joined.toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(ticketCount(prefix)).as("the retry found the key its first attempt made").isEqualTo(1);

        b.remove(t).toCompletableFuture().get(10, TimeUnit.SECONDS);
        TxnResponse late = Enqueue.createTxn(etcd.admin().getKVClient(), t.key(),
            TicketCodec.encode("a", new byte[0]), t.sessionId()).get(5, TimeUnit.SECONDS);

        assertThat(late.isSucceeded()).as("the late attempt of the create committed").isFalse();
        assertThat(ticketCount(prefix)).as("tickets left under the live lease").isZero();
      }
    }
  }
}
