package dev.elector.zookeeper;

import dev.elector.spi.EngineLoop;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's one thread. Every piece of the backend's mutable state is confined to it: ZooKeeper's callbacks and
 * watch events (which its event thread delivers in the order the server produced them) and the SPI calls are all
 * posted here, so the order ZooKeeper guarantees is kept and no lock is held while the engine's listener runs.
 *
 * <p>The thread is the engine's when the engine lends it ({@link EngineLoop}): a watch event then crosses one thread
 * hand-off, from ZooKeeper's event thread to this loop, on its way to the application. Otherwise (the backend opened
 * on its own, as the backend's tests do) it is a thread of the backend's own. The behaviour is the same: tasks run
 * one at a time in the order posted, and after {@link #shutdown()} posts are refused.
 */
final class Loop {
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** The engine's loop, or null when the backend has its own thread ({@link #own}). */
  private final EngineLoop engine;
  private final ScheduledThreadPoolExecutor own;
  private volatile Thread thread;
  /** Set by {@link #shutdown()} when the loop is the engine's, which goes on running after the backend closed. */
  private volatile boolean shut;

  /** A loop on a thread of the backend's own. */
  Loop() {
    engine = null;
    own = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "elector-zookeeper-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      thread = t;
      return t;
    });
    own.setRemoveOnCancelPolicy(true);
  }

  /** A loop on the engine's thread. */
  Loop(EngineLoop engine) {
    this.engine = engine;
    this.own = null;
  }

  /** Runs {@code r} on the loop thread; false if the loop is shut down. */
  boolean post(Runnable r) {
    if (engine != null) {
      return !shut && engine.execute(guard(r));
    }
    try {
      own.execute(guard(r));
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Runs {@code r} on the loop thread after {@code delay}; throws {@link RejectedExecutionException} once shut. */
  ScheduledFuture<?> schedule(Runnable r, long delay, TimeUnit unit) {
    if (engine == null) {
      return own.schedule(guard(r), delay, unit);
    }
    if (shut) {
      throw new RejectedExecutionException("The ZooKeeper backend is closed");
    }
    return engine.schedule(guard(r), delay, unit);
  }

  /** True if the calling thread is the loop thread. */
  boolean inLoop() {
    return engine != null ? engine.inLoop() : Thread.currentThread() == thread;
  }

  /** Runs what is already queued, then stops the thread (its own) or stops taking tasks (the engine's). */
  void shutdown() {
    shut = true;
    if (own != null) {
      own.shutdown();
    }
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
