package dev.elector.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The delete→notification floor paced exactly like steady handoffs ({@link Pacer}): client A deletes what client B
 * watches, but only once that pair has been quiet for {@link Pacer#QUIET} and the harness has settled. Several pairs
 * per server, ZooKeeper and etcd interleaved, so the quiet periods overlap as the handoff lanes' do. A steady
 * handoff's median is compared to this floor; a churn handoff's to the back-to-back one.
 */
final class QuietFloor {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Pairs per server: with the settle, enough that a pair's quiet period, not the settle, paces it. */
  static final int PAIRS = 3;

  private QuietFloor() {}

  /** One watcher pair: re-arms after every sample; the time it was last re-armed starts its quiet. */
  private interface Pair extends AutoCloseable {
    /** Sets the watch (or sees the put) the next delete will fire; untimed. */
    void arm() throws Exception;

    /** Deletes and waits for B's notification: the nanoseconds from the delete call to the callback. */
    long fire() throws Exception;

    @Override
    void close();
  }

  static void run(Results res, String zkEndpoint, String etcdEndpoint, int count, Duration budget) {
    List<Pair> pairs = new ArrayList<>();
    List<Boolean> isZk = new ArrayList<>();
    LongList zk = new LongList();
    LongList etcd = new LongList();
    String note = "";
    try {
      for (int i = 0; i < PAIRS; i++) {
        pairs.add(new ZkPair(zkEndpoint, i));
        isZk.add(true);
        pairs.add(new EtcdPair(etcdEndpoint, i));
        isZk.add(false);
      }
      long[] quietSince = new long[pairs.size()];
      for (int i = 0; i < pairs.size(); i++) {
        pairs.get(i).arm();
        quietSince[i] = System.nanoTime();
      }
      Pacer pacer = new Pacer();
      Budget b = Budget.of(budget);
      int warm = PAIRS * 2 * 2;
      for (int step = 0; b.left() && (zk.size() < count || etcd.size() < count); step++) {
        int i = step % pairs.size();
        LongList out = isZk.get(i) ? zk : etcd;
        if (out.size() >= count) {
          continue;
        }
        pacer.await(quietSince[i], Pacer.QUIET);
        long v = pairs.get(i).fire();
        pairs.get(i).arm();
        quietSince[i] = System.nanoTime();
        pacer.stepEnded();
        if (step >= warm) {
          out.add(v);
        }
      }
    } catch (Exception e) {
      note = "failed: " + Failover.rootCause(e);
    } finally {
      pairs.forEach(Pair::close);
    }
    String paced = String.format(java.util.Locale.ROOT, "floor; after %d ms quiet + %d ms settle, %d pairs",
        Pacer.QUIET.toMillis(), Pacer.SETTLE.toMillis(), PAIRS);
    res.add(Floors.ZK_NOTIFY_QUIET, "ZooKeeper client", false, Unit.NANOS, zk.toArray(),
        join(paced, short_(zk, count, note)));
    res.add(Floors.ETCD_NOTIFY_QUIET, "etcd client (jetcd watch)", false, Unit.NANOS, etcd.toArray(),
        join(paced, short_(etcd, count, note)));
  }

  private static String join(String a, String b) {
    return b.isEmpty() ? a : a + "; " + b;
  }

  private static String short_(LongList out, int count, String note) {
    return !note.isEmpty() ? note : out.size() < count ? "budget reached after " + out.size() + " of " + count : "";
  }

  /** ZooKeeper: a getData watch on an ephemeral node, as a successor watches its predecessor. */
  private static final class ZkPair implements Pair {
    private final ZooKeeper a;
    private final ZooKeeper b;
    private final LinkedBlockingQueue<Long> fired = new LinkedBlockingQueue<>();
    private final String prefix;
    private String node;

    ZkPair(String endpoint, int i) throws Exception {
      a = Floors.zk(endpoint);
      b = Floors.zk(endpoint);
      prefix = "/bench-quiet-" + i + "-";
    }

    @Override
    public void arm() throws Exception {
      node = a.create(prefix, "candidate-0".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
      b.getData(node, e -> {
        if (e.getType() == Watcher.Event.EventType.NodeDeleted) {
          fired.add(System.nanoTime());
        }
      }, null);
    }

    @Override
    public long fire() throws Exception {
      long t0 = System.nanoTime();
      a.delete(node, -1);
      Long t = fired.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (t == null) {
        throw new IllegalStateException("no ZooKeeper notification within " + WAIT);
      }
      return t - t0;
    }

    @Override
    public void close() {
      try {
        a.close();
        b.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** etcd: a prefix watch started at the current revision (synced), the put seen before each delete. */
  private static final class EtcdPair implements Pair {
    record Seen(WatchEvent.EventType type, long nanos) {}

    private final Client a;
    private final Client b;
    private final KV kv;
    private final ByteSequence key;
    private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final Watch.Watcher watcher;

    EtcdPair(String endpoint, int i) throws Exception {
      a = JetcdContender.client(endpoint);
      b = JetcdContender.client(endpoint);
      kv = a.getKVClient();
      ByteSequence prefix = JetcdContender.bytes("/bench-quiet-" + i + "/");
      key = JetcdContender.bytes("/bench-quiet-" + i + "/k");
      long rev = kv.get(key).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      watcher = b.getWatchClient().watch(prefix, WatchOption.builder().isPrefix(true).withRevision(rev + 1).build(),
          Watch.listener(r -> {
            long now = System.nanoTime();
            r.getEvents().forEach(e -> seen.add(new Seen(e.getEventType(), now)));
          }));
    }

    @Override
    public void arm() throws Exception {
      kv.put(key, JetcdContender.bytes("candidate-0")).get(10, TimeUnit.SECONDS);
      Seen put = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (put == null || put.type() != WatchEvent.EventType.PUT) {
        throw new IllegalStateException("etcd watch did not deliver the put: " + put);
      }
    }

    @Override
    public long fire() throws Exception {
      long t0 = System.nanoTime();
      kv.delete(key).get(10, TimeUnit.SECONDS);
      Seen del = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (del == null || del.type() != WatchEvent.EventType.DELETE) {
        throw new IllegalStateException("etcd watch did not deliver the delete: " + del);
      }
      return del.nanos() - t0;
    }

    @Override
    public void close() {
      watcher.close();
      a.close();
      b.close();
    }
  }
}
