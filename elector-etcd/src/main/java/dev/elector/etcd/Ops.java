package dev.elector.etcd;

import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.SessionLostException;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.spi.support.Errors;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The session's calls to etcd (joins, reads, deletes, new leases; not the lease renewals, which never queue): each
 * bounded by the operation timeout and completed on the loop with a translated error, at most
 * {@link #MAX_OPS_IN_FLIGHT} in flight, the others queued, urgent ones first.
 *
 * <p>Loop-confined: the queues, the count in flight and {@link #lastAnswer}; of the session it reads only the
 * (volatile) state. Once the session is closed no call is queued, since the loop may be gone.
 */
final class Ops {
  /**
   * Requests (joins, reads, deletes) in flight per session; more wait in a queue on the loop. Thousands of
   * concurrent calls on the session's one HTTP/2 connection delay the lease renewals, which do not queue here, until
   * the session is lost (10,000 elections joined at once on one session would expire it).
   */
  private static final int MAX_OPS_IN_FLIGHT = 32;

  private final EtcdSession session;
  private final ClientConfig config;
  /** The backend's thread; runs a task on the caller's thread once shut down, so no stage is left uncompleted. */
  private final Loop loop;
  private final Duration opTimeout;
  private int opsInFlight;
  private final ArrayDeque<QueuedOp> opQueue = new ArrayDeque<>();
  private final ArrayDeque<QueuedOp> urgentQueue = new ArrayDeque<>();
  /** When etcd last answered a call of ours: queued calls wait while it keeps answering. */
  private long lastAnswer = System.nanoTime();

  Ops(EtcdSession session, ClientConfig config, Loop loop) {
    this.session = session;
    this.config = config;
    this.loop = loop;
    this.opTimeout = config.operationTimeout();
  }

  /** Runs a jetcd call bounded by the operation timeout; completes on the loop with a translated error. */
  <T> CompletableFuture<T> io(String what, Supplier<CompletableFuture<T>> call) {
    return io(what, call, false);
  }

  /** A call waiting for one of the {@link #MAX_OPS_IN_FLIGHT} slots. */
  private record QueuedOp(long queued, Runnable send, Runnable expire) {}

  /**
   * Runs a jetcd call bounded by the operation timeout; completes on the loop with a translated error. At most
   * {@link #MAX_OPS_IN_FLIGHT} calls are in flight; the {@code urgent} ones (a leader leaving, a waiter's read, a
   * new lease) go before the others, so that a handoff or the first leader of a line does not wait behind thousands
   * of joins. A queued call fails once it has waited the operation timeout with no answer from etcd meanwhile: an
   * unreachable etcd still fails every call within the timeout, while a busy one that keeps answering is given the
   * time to work through the queue (a deadline counted from queueing made queued joins time out and come back as
   * retries, a queue that never drained). Called on the loop.
   */
  <T> CompletableFuture<T> io(String what, Supplier<CompletableFuture<T>> call, boolean urgent) {
    CompletableFuture<T> out = new CompletableFuture<>();
    if (session.state() == State.CLOSED) {
      // The loop may be gone: nothing may touch the queue from another thread.
      out.completeExceptionally(new ClosedException(what + " failed: the etcd backend is closed"));
      return out;
    }
    QueuedOp op = new QueuedOp(System.nanoTime(), () -> send(what, call, out),
        () -> out.completeExceptionally(error(new TimeoutException(), what)));
    (urgent ? urgentQueue : opQueue).addLast(op);
    pumpOps();
    return out;
  }

  private void pumpOps() {
    while (opsInFlight < MAX_OPS_IN_FLIGHT && !(urgentQueue.isEmpty() && opQueue.isEmpty())) {
      (urgentQueue.isEmpty() ? opQueue : urgentQueue).pollFirst().send().run();
    }
  }

  /** Fails the queued calls that waited the operation timeout without etcd answering anything meanwhile. */
  void expireQueued() {
    long now = System.nanoTime();
    long limit = opTimeout.toNanos();
    for (ArrayDeque<QueuedOp> q : List.of(urgentQueue, opQueue)) {
      QueuedOp op;
      while ((op = q.peekFirst()) != null && now - Math.max(op.queued(), lastAnswer) > limit) {
        q.pollFirst();
        op.expire().run();
      }
    }
  }

  /** The backend is closed: nothing queued will be sent. */
  void failQueued() {
    for (ArrayDeque<QueuedOp> q : List.of(urgentQueue, opQueue)) {
      QueuedOp op;
      while ((op = q.pollFirst()) != null) {
        op.expire().run();
      }
    }
  }

  private <T> void send(String what, Supplier<CompletableFuture<T>> call, CompletableFuture<T> out) {
    opsInFlight++;
    CompletableFuture<T> f;
    try {
      f = call.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.orTimeout(opTimeout.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((r, e) -> {
      opsInFlight--;
      if (e == null || !retryable(e)) {
        lastAnswer = System.nanoTime();
      }
      if (e == null) {
        out.complete(r);
      } else {
        out.completeExceptionally(error(e, what));
      }
      pumpOps();
    }, loop);
  }

  private ElectorException error(Throwable e, String what) {
    Throwable t = Errors.unwrap(e);
    if (t instanceof ElectorException x) {
      return x;
    }
    if (session.state() == State.CLOSED) {
      return new ClosedException(what + " failed: the etcd backend is closed");
    }
    return EtcdErrors.translate(t, what, config.endpoints(), opTimeout, session.state() == State.SUSPENDED);
  }

  /** Whether {@code e} says etcd did not answer (unreachable, or too slow): a call may be sent again. */
  static boolean retryable(Throwable e) {
    Throwable t = Errors.unwrap(e);
    if (t instanceof ElectorException) {
      t = t.getCause() == null ? t : Errors.unwrap(t.getCause());
    }
    if (t instanceof TimeoutException) {
      return true;
    }
    String code = EtcdErrors.code(t);
    return code.equals("UNAVAILABLE") || code.equals("DEADLINE_EXCEEDED");
  }

  /** Fails {@code out} and returns true unless the session is usable for a new operation. */
  boolean unusable(CompletableFuture<?> out, String what) {
    switch (session.state()) {
      case CLOSED -> out.completeExceptionally(new ClosedException(what + " failed: the etcd backend is closed"));
      case EXPIRED -> out.completeExceptionally(
          new SessionLostException(what + " failed: the etcd lease expired; a new one is being granted", true));
      case SUSPENDED -> out.completeExceptionally(new SessionLostException(
          what + " failed: the etcd session is suspended (no lease renewal before its deadline)", false));
      default -> {
        return false;
      }
    }
    return true;
  }
}
