package dev.elector.zookeeper;

import dev.elector.SessionLostException;
import dev.elector.zookeeper.ZkSession.Handle;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The requests ({@link Op}s) in progress: each runs while the session is up, parks while it is suspended and
 * resumes on recovery, and fails (or, as its kind decides, completes) when its session expires. Loop-confined.
 */
final class Ops {
  final ZkSession session;
  final Loop loop;
  /** Ops not yet completed: each leaves the set as it completes (a scan per submit would be quadratic). */
  private final Set<Op<?>> pending = new HashSet<>();

  Ops(ZkSession session, Loop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** Runs {@code op} on the loop; it fails after {@code timeout} unless that is null. Any thread. */
<T> CompletionStage<T> submit(Op<T> op, Duration timeout) {
  if (!loop.post(() -> {
    if (session.isClosed()) {
      op.result.completeExceptionally(ZkErrors.closed(op.what));
      return;
    }
    pending.add(op);
    // Completions run on the loop (callbacks post to it, the timeout below is scheduled on it); a stage completed
    // elsewhere by its holder still leaves the set on the loop.
    op.result.whenComplete((v, e) -> {
      if (loop.inLoop()) {
        pending.remove(op);
      } else {
        loop.post(() -> pending.remove(op));
      }
    });
    op.handle = session.current();
    op.accepted();
    start(op);
  })) {
    op.result.completeExceptionally(ZkErrors.closed(op.what));
  }
  if (timeout != null) {
    try {
      ScheduledFuture<?> timer = loop.schedule(() -> op.result.completeExceptionally(ZkErrors.translate(op.what,
          new TimeoutException("operationTimeout=" + timeout + " passed"))), timeout.toNanos(), TimeUnit.NANOSECONDS);
      op.result.whenComplete((v, e) -> timer.cancel(false));
    } catch (RejectedExecutionException e) {
      op.result.completeExceptionally(ZkErrors.closed(op.what));
    }
  }
  return op.result;
}

private void start(Op<?> op) {
  if (op.result.isDone()) {
    return;
  }
  if (!session.up()) {
    park(op);
    return;
  }
  if (op.handle == null) {
    op.handle = session.current();
  } else if (op.handle != session.current()) {
    return; // its session expired; expire() has dealt with it
  }
  op.run(session.current(), ++op.attempt);
}

void park(Op<?> op) {
  if (!op.parked && !op.result.isDone()) {
    op.parked = true;
    session.whenUp(() -> {
      op.parked = false;
      start(op);
    });
  }
}

  /** The session of {@code s} expired: each op of it learns so. Loop thread. */
  void expired(Handle s, SessionLostException lost) {
    for (Op<?> op : List.copyOf(pending)) {
      if (op.handle == s) {
        op.expired(lost);
      }
    }
  }

  /** The backend closed: every op fails. Loop thread. */
  void closeAll() {
    for (Op<?> op : List.copyOf(pending)) {
      op.result.completeExceptionally(ZkErrors.closed(op.what));
    }
    pending.clear();
  }
}
