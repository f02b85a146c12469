package dev.elector.zookeeper;

import dev.elector.SessionLostException;
import dev.elector.zookeeper.ZkSession.Handle;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.KeeperException.Code;

/**
 * A request that is retried, from where it stopped, after a connection loss. Its {@link #attempt} numbers its runs:
 * each run passes its number to its callbacks, and a callback of an earlier run is ignored ({@link #stale}).
 */
abstract class Op<T> {
  final Ops ops;
  final String what;
  final CompletableFuture<T> result = new CompletableFuture<>();
  /** The session the op belongs to; null until it first runs. */
  Handle handle;
  int attempt;
  boolean parked;

  Op(Ops ops, String what) {
    this.ops = ops;
    this.what = what;
  }

  /** Issues the op's requests in {@code s}; callbacks check {@link #stale(int)}. */
  abstract void run(Handle s, int attempt);

  /** Called once, on the loop, when the op is accepted, before it first runs (which may wait for the session). */
  void accepted() {}

  /** Its session expired: by default the op fails. */
  void expired(SessionLostException e) {
    result.completeExceptionally(e);
  }

  /**
   * True if a callback of attempt {@code a} comes too late: a later attempt started (after a connection loss), the
   * op is already complete, or the backend is closed.
   */
  boolean stale(int a) {
    return a != attempt || result.isDone() || ops.session.isClosed();
  }

  /** Runs {@code r} on the loop: every ZooKeeper callback of an op hops there first. */
  boolean post(Runnable r) {
    return ops.loop.post(r);
  }

  /** Handles a failed request: parks on connection loss, waits for the Expired event, fails otherwise. */
  void failed(Code code, String path) {
    switch (code) {
      case CONNECTIONLOSS -> ops.park(this);
      case SESSIONEXPIRED -> {}
      default -> result.completeExceptionally(ZkErrors.translate(what, code, path));
    }
  }
}
