package dev.elector.zookeeper;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's one thread. Every piece of the backend's mutable state is confined to it: ZooKeeper's callbacks and
 * watch events (which its event thread delivers in the order the server produced them) and the SPI calls are all
 * posted here, so the order ZooKeeper guarantees is kept and no lock is held while the engine's listener runs.
 */
final class Loop {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ScheduledThreadPoolExecutor executor;
  private volatile Thread thread;

  Loop() {
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "elector-zookeeper-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      thread = t;
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
  }

  /** Runs {@code r} on the loop thread; false if the loop is shut down. */
  boolean post(Runnable r) {
    try {
      executor.execute(guard(r));
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Runs {@code r} on the loop thread after {@code delay}; throws {@link RejectedExecutionException} once shut. */
  ScheduledFuture<?> schedule(Runnable r, long delay, TimeUnit unit) {
    return executor.schedule(guard(r), delay, unit);
  }

  /** True if the calling thread is the loop thread. */
  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs what is already queued, then stops the thread; later posts are refused. */
  void shutdown() {
    executor.shutdown();
  }

  private static Runnable guard(Runnable r) {
    return () -> {
      try {
        r.run();
      } catch (Throwable t) {
        ZkBackend.LOG.log(System.Logger.Level.ERROR, "Unexpected failure in the ZooKeeper backend", t);
      }
    };
  }
}
