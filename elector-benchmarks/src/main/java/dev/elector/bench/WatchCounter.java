package dev.elector.bench;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.watch.WatchManager;
import org.apache.zookeeper.server.watch.WatcherOrBitSet;

/**
 * The in-process server's watch manager, counting watch notifications as the server sends them. Server side, so it
 * counts Elector and Curator the same way without hooks in either client. ZooKeeper sends one notification per
 * session and path, so the herd scenario gives every candidate near the head of the line a session of its own.
 *
 * <p>Public with a public no-argument constructor because ZooKeeper instantiates it by name
 * ({@code zookeeper.watchManagerName}).
 */
public final class WatchCounter extends WatchManager {
  static volatile ServerCnxnFactory connections;
  /** Notifications to this session are not counted as "others woken" (the leader's own-node watch). */
  static final AtomicLong excludedSession = new AtomicLong();
  static final LongAdder toOthers = new LongAdder();
  static final LongAdder toExcluded = new LongAdder();

  public WatchCounter() {}

  @Override
  public WatcherOrBitSet triggerWatch(
      String path, EventType type, long zxid, List<ACL> acl, WatcherOrBitSet suppress) {
    WatcherOrBitSet fired = super.triggerWatch(path, type, zxid, acl, suppress);
    ServerCnxnFactory f = connections;
    if (fired == null || fired.size() == 0 || f == null) {
      return fired;
    }
    long excluded = excludedSession.get();
    for (ServerCnxn c : f.getConnections()) {
      // The returned set includes watchers the caller suppressed (already told by the data-watch pass).
      if (fired.contains(c) && (suppress == null || !suppress.contains(c))) {
        if (c.getSessionId() == excluded) {
          toExcluded.increment();
        } else {
          toOthers.increment();
        }
      }
    }
    return fired;
  }

  static void reset(long excludeSession) {
    excludedSession.set(excludeSession);
    toOthers.reset();
    toExcluded.reset();
  }
}
