package dev.elector.etcd;

import dev.elector.spi.EngineLoop;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's one thread: every piece of the backend's mutable state is confined to it, and jetcd's callbacks and
 * the SPI calls are posted here.
 *
 * <p>The thread is the engine's when the engine lends it ({@link EngineLoop}): a watch event then crosses one thread
 * hand-off, from gRPC's thread to this loop, on its way to the application. Otherwise (the backend opened on its
 * own, as the backend's tests do) it is a thread of the backend's own. Either way, tasks run one at a time in the
 * order posted, delayed tasks are dropped at {@link #shutdownNow()}, and after it {@link #execute} runs a task on the
 * caller's thread, so that no stage is left uncompleted. The one difference: on its own thread, tasks still queued
 * at shutdown are dropped with it; on the engine's, which goes on running, they still run (a close called on the
 * loop must not strand the removals the engine queued just before it). Each task checks the session's state, so
 * one that runs after the close fails its stage as closed.
 */
final class Loop implements Executor {
  private static final AtomicInteger IDS = new AtomicInteger();

  /** The engine's loop, or null when the backend has its own thread ({@link #own}). */
  private final EngineLoop engine;
  private final ScheduledExecutorService own;
  private volatile Thread thread;
  private volatile boolean shut;

  /** A loop on a thread of the backend's own. */
  Loop() {
    engine = null;
    int id = IDS.incrementAndGet();
    own = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "elector-etcd-" + id);
      t.setDaemon(true);
      thread = t;
      return t;
    });
  }

  /** A loop on the engine's thread. */
  Loop(EngineLoop engine) {
    this.engine = engine;
    this.own = null;
  }

  /** Runs {@code r} on the loop, or on the calling thread once the loop is shut down. */
  @Override
  public void execute(Runnable r) {
    if (engine != null) {
      if (shut || !engine.execute(r)) {
        r.run();
      }
      return;
    }
    try {
      own.execute(r);
    } catch (RejectedExecutionException e) {
      r.run();
    }
  }

  /** Runs an SPI call's work with {@link #execute}, logging what it throws. */
  void run(Runnable r) {
    execute(() -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        EtcdBackend.LOG.log(System.Logger.Level.ERROR, "etcd backend task failed", e);
      }
    });
  }

  /** Runs {@code r} on the loop after {@code delay}; throws {@link RejectedExecutionException} once shut down. */
  ScheduledFuture<?> schedule(Runnable r, long delay, TimeUnit unit) {
    if (engine == null) {
      return own.schedule(r, delay, unit);
    }
    if (shut) {
      throw new RejectedExecutionException("The etcd backend is closed");
    }
    return engine.schedule(unlessShut(r), delay, unit);
  }

  /** Runs {@code r} on the loop every {@code millis}, the first time after one period, until shut down. */
  void every(Runnable r, long millis) {
    if (engine == null) {
      own.scheduleWithFixedDelay(r, millis, millis, TimeUnit.MILLISECONDS);
      return;
    }
    schedule(() -> {
      r.run();
      try {
        every(r, millis);
      } catch (RejectedExecutionException e) {
        // shut down: the period ends
      }
    }, millis, TimeUnit.MILLISECONDS);
  }

  /** True if the calling thread is the loop thread. */
  boolean inLoop() {
    return engine != null ? engine.inLoop() : Thread.currentThread() == thread;
  }

  /** Drops what is queued or delayed and stops the thread (its own) or stops taking tasks (the engine's). */
  void shutdownNow() {
    shut = true;
    if (own != null) {
      own.shutdownNow();
    }
  }

  /** On the engine's loop, a delayed task still pending when the backend shuts down is dropped, as its own drops it. */
  private Runnable unlessShut(Runnable r) {
    return () -> {
      if (!shut) {
        r.run();
      }
    };
  }
}
