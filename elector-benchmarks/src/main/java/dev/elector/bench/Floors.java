package dev.elector.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * Backend round trips on loopback with each service's own client: the physical floor every handoff is compared to
 * (a handoff needs at least one committed delete and one notification). The delete→notification floor is measured
 * twice: back to back ("hot", what churn handoffs are compared to) and paced like steady handoffs ("quiet",
 * {@link QuietFloor}, what steady handoffs are compared to).
 */
final class Floors {
  static final String ZK_READ = "round trip: ZooKeeper read (exists)";
  /** One committed write: the delete of a node created (untimed) just before; acknowledged by the server. */
  static final String ZK_WRITE = "round trip: ZooKeeper write (one commit: delete)";
  static final String ETCD_READ = "round trip: etcd read (get)";
  /** One committed write: the delete of a key put (untimed) just before; acknowledged by the server. */
  static final String ETCD_WRITE = "round trip: etcd write (one commit: delete)";
  /** Back to back: every thread on the path ran a moment ago. */
  static final String ZK_NOTIFY = "floor: delete → notification, hot · ZooKeeper";
  static final String ETCD_NOTIFY = "floor: delete → notification, hot · etcd";
  /** After the same per-lane quiet and harness settle as steady handoffs ({@link Pacer}). */
  static final String ZK_NOTIFY_QUIET = "floor: delete → notification, quiet · ZooKeeper";
  static final String ETCD_NOTIFY_QUIET = "floor: delete → notification, quiet · etcd";
  static final String FSYNC = "disk: write 4 KiB + fsync, data dirs' disk";
  /** How long one notification may take before the floor's run stops with a note. */
  private static final Duration NOTIFY_WAIT = Duration.ofSeconds(10);

  private Floors() {}

  @FunctionalInterface
  interface Op {
    void run() throws Exception;
  }

  static long[] measure(Op op, int warmup, int count, Duration budget) throws Exception {
    return measure(() -> { }, op, warmup, count, budget);
  }

  /** Times {@code op} only; {@code setUp} runs untimed before each. */
  static long[] measure(Op setUp, Op op, int warmup, int count, Duration budget) throws Exception {
    for (int i = 0; i < warmup; i++) {
      setUp.run();
      op.run();
    }
    LongList out = new LongList();
    Budget b = Budget.of(budget);
    while (out.size() < count && b.left()) {
      setUp.run();
      long t0 = System.nanoTime();
      op.run();
      out.add(System.nanoTime() - t0);
    }
    return out.toArray();
  }

  static ZooKeeper zk(String endpoint) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(endpoint, 10_000, e -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
    });
    if (!connected.await(10, TimeUnit.SECONDS)) {
      zk.close();
      throw new IllegalStateException("raw ZooKeeper client could not connect to " + endpoint);
    }
    return zk;
  }

  static void zookeeper(Results res, String endpoint, int count, Duration budget) throws Exception {
    ZooKeeper zk = zk(endpoint);
    try {
      zk.create("/bench-floor", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      res.add(ZK_READ, "ZooKeeper client", false, Unit.NANOS,
          measure(() -> zk.exists("/bench-floor", false), count / 5, count, budget.dividedBy(2)), "floor");
      byte[] data = "candidate-0".getBytes();
      String[] node = new String[1];
      res.add(ZK_WRITE, "ZooKeeper client", false, Unit.NANOS, measure(
          () -> node[0] = zk.create("/bench-floor/e-", data, ZooDefs.Ids.OPEN_ACL_UNSAFE,
              CreateMode.EPHEMERAL_SEQUENTIAL),
          () -> zk.delete(node[0], -1), count / 5, count, budget.dividedBy(2)), "floor; create untimed");
      zk.delete("/bench-floor", -1);
    } finally {
      zk.close();
    }
  }

  /**
   * What a handoff physically needs: client A deletes a node that client B watches (a getData watch, as a
   * successor watches its predecessor); the time from A's delete call to B's watch callback. Each sample sets a
   * fresh watch (ZooKeeper watches fire once), and the clock starts only once the watch is set.
   */
  static void zookeeperNotify(Results res, String endpoint, int count, Duration budget) throws Exception {
    ZooKeeper a = zk(endpoint);
    ZooKeeper b = zk(endpoint);
    LinkedBlockingQueue<Long> fired = new LinkedBlockingQueue<>();
    LongList out = new LongList();
    String note = "";
    try {
      byte[] data = "candidate-0".getBytes();
      Budget bud = Budget.of(budget);
      for (int i = 0; i < count / 10 + count && bud.left(); i++) {
        String p = a.create("/bench-notify-", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        b.getData(p, e -> {
          if (e.getType() == Watcher.Event.EventType.NodeDeleted) {
            fired.add(System.nanoTime());
          }
        }, null);
        long t0 = System.nanoTime();
        a.delete(p, -1);
        Long t = fired.poll(NOTIFY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (t == null) {
          note = "no notification within " + NOTIFY_WAIT + " after " + out.size();
          break;
        }
        if (i >= count / 10) {
          out.add(t - t0);
        }
      }
    } finally {
      a.close();
      b.close();
    }
    if (note.isEmpty() && out.size() < count) {
      note = "budget reached after " + out.size() + " of " + count;
    }
    res.add(ZK_NOTIFY, "ZooKeeper client", false, Unit.NANOS, out.toArray(),
        note.isEmpty() ? "floor; back to back" : "floor; back to back; " + note);
  }

  /**
   * The same on etcd: B watches the prefix from the revision current when the run starts (so the watch is synced,
   * never served from etcd's catch-up loop); before each sample A puts the key and waits until B has seen that put,
   * then deletes it; the time from A's delete call to B's listener receiving the delete event.
   */
  static void etcdNotify(Results res, String endpoint, int count, Duration budget) throws Exception {
    record Seen(WatchEvent.EventType type, long nanos) {}
    LongList out = new LongList();
    String note = "";
    try (Client a = JetcdContender.client(endpoint); Client b = JetcdContender.client(endpoint)) {
      KV kv = a.getKVClient();
      ByteSequence prefix = JetcdContender.bytes("/bench-notify/");
      ByteSequence key = JetcdContender.bytes("/bench-notify/k");
      ByteSequence val = JetcdContender.bytes("candidate-0");
      long rev = kv.get(key).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
      try (Watch.Watcher w = b.getWatchClient().watch(prefix,
          WatchOption.builder().isPrefix(true).withRevision(rev + 1).build(), Watch.listener(r -> {
            long now = System.nanoTime();
            r.getEvents().forEach(e -> seen.add(new Seen(e.getEventType(), now)));
          }))) {
        Budget bud = Budget.of(budget);
        for (int i = 0; i < count / 10 + count && bud.left(); i++) {
          kv.put(key, val).get(10, TimeUnit.SECONDS);
          Seen put = seen.poll(NOTIFY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          if (put == null || put.type() != WatchEvent.EventType.PUT) {
            note = "watch did not deliver the put (" + put + ") after " + out.size();
            break;
          }
          long t0 = System.nanoTime();
          kv.delete(key).get(10, TimeUnit.SECONDS);
          Seen del = seen.poll(NOTIFY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          if (del == null || del.type() != WatchEvent.EventType.DELETE) {
            note = "watch did not deliver the delete (" + del + ") after " + out.size();
            break;
          }
          if (i >= count / 10) {
            out.add(del.nanos() - t0);
          }
        }
      }
    }
    if (note.isEmpty() && out.size() < count) {
      note = "budget reached after " + out.size() + " of " + count;
    }
    res.add(ETCD_NOTIFY, "etcd client (jetcd watch)", false, Unit.NANOS, out.toArray(),
        note.isEmpty() ? "floor; back to back" : "floor; back to back; " + note);
  }

  static void etcd(Results res, String endpoint, int count, Duration budget) throws Exception {
    try (Client c = JetcdContender.client(endpoint)) {
      KV kv = c.getKVClient();
      ByteSequence key = JetcdContender.bytes("/bench-floor/k");
      ByteSequence val = JetcdContender.bytes("candidate-0");
      kv.put(key, val).get(10, TimeUnit.SECONDS);
      res.add(ETCD_READ, "etcd client (jetcd KV)", false, Unit.NANOS,
          measure(() -> kv.get(key).get(10, TimeUnit.SECONDS), count / 5, count, budget.dividedBy(2)), "floor");
      res.add(ETCD_WRITE, "etcd client (jetcd KV)", false, Unit.NANOS, measure(
          () -> kv.put(key, val).get(10, TimeUnit.SECONDS),
          () -> kv.delete(key).get(10, TimeUnit.SECONDS), count / 5, count, budget.dividedBy(2)),
          "floor; put untimed");
    }
  }
}
