package dev.elector.zookeeper;

import dev.elector.zookeeper.ZkSession.Handle;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException.Code;

/**
 * The session's heartbeat: a {@code sync} at a time per connection of the current handle, the next one a
 * {@link #heartbeatGapNanos gap} after the answer, and the record of the answered ones ({@link Beat}) that
 * {@link ZkSession#proved} turns into a deadline. It has no mutable state of its own: what it tracks lives on the
 * {@link Handle}, and like all of {@link ZkSession}'s loop-confined state it is touched only on the backend's
 * {@link Loop} thread.
 */
final class Heartbeats {
  private final ZkSession session;
  private final Loop loop;

  Heartbeats(ZkSession session, Loop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** An answered heartbeat: when it was sent and when its answer reached the loop. */
  record Beat(long sent, long answered) {}

  /**
   * The pause between a heartbeat's answer and the next heartbeat, in nanoseconds: a third of the session timeout.
   * Invariant (see the module README, "Session deadline"): it exceeds the ensemble leader's ping period (tickTime/2,
   * at most a quarter of any timeout a server grants when minSessionTimeout is left at its default 2 × tickTime),
   * so a follower answers at least one of the leader's pings between two heartbeats.
   */
  static long heartbeatGapNanos(Handle s) {
    return TimeUnit.MILLISECONDS.toNanos(Math.max(20, s.timeoutMillis / 3));
  }

  /**
   * Sends a heartbeat: a {@code sync}, which the member we are connected to forwards to the ensemble's leader and
   * answers only once the leader has processed it (a read alone is answered by a follower that may be cut off from
   * the leader, which alone expires sessions). One heartbeat is in flight per connection; the next is sent a
   * {@link #heartbeatGapNanos gap} after the answer.
   */
  void heartbeat(Handle s) {
    if (s != session.current() || s.heartbeatOn == s.connection || !s.connected || s.expired) {
      return;
    }
    int conn = s.connection;
    s.heartbeatOn = conn;
    long sent = System.nanoTime();
    s.zk.sync("/", (rc, path, ctx) -> loop.post(() -> onHeartbeat(s, conn, sent, rc)), null);
  }

  private void onHeartbeat(Handle s, int conn, long sent, int rc) {
    if (s.heartbeatOn == conn) {
      s.heartbeatOn = -1;
    }
    if (conn != s.connection || s != session.current() || s.expired) {
      return; // the SyncConnected of the newer connection started its own heartbeats
    }
    session.proved(s, conn, sent, rc);
    if (rc == Code.OK.intValue()) {
      s.prev = s.last;
      s.last = new Beat(sent, System.nanoTime());
    }
    if (s.connected) {
      s.timer = loop.schedule(() -> heartbeat(s), heartbeatGapNanos(s), TimeUnit.NANOSECONDS);
    }
  }
}
