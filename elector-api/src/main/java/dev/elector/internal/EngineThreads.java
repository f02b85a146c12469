package dev.elector.internal;

import dev.elector.spi.EngineLoop;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's two kinds of thread: the engine thread, on which all engine state lives and which a backend may share
 * ({@link EngineLoop}), and the callback pool, on which every stage handed to the application completes (SPEC rule
 * 3.2). Application code runs on the engine thread only when the application gave a direct executor.
 */
final class EngineThreads implements EngineLoop {
  private static final System.Logger LOG = System.getLogger("dev.elector");
  private static final AtomicInteger CLIENTS = new AtomicInteger();
  /**
   * Threads of a client's callback pool that run continuations: a burst (10,000 terms ending at one expiry) queues
   * on them instead of spawning a thread each.
   */
  static final int CALLBACK_THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());
  /**
   * The most threads the pool may have: beyond {@link #CALLBACK_THREADS} it adds one for each continuation that
   * blocks in {@code CompletableFuture.get()/join()} (on another of Elector's stages, say), so such waits cannot
   * starve the completions they wait for.
   */
  static final int CALLBACK_MAX_THREADS = CALLBACK_THREADS + 64;

  private final ScheduledThreadPoolExecutor loop;
  private final ForkJoinPool callbacks;
  /** The engine thread (set when it starts), so a close called from a callback on it does not wait for itself. */
  private volatile Thread engineThread;

  EngineThreads() {
    int n = CLIENTS.incrementAndGet();
    AtomicInteger engines = new AtomicInteger();
    this.loop = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "elector-engine-" + n + "-" + engines.incrementAndGet());
      t.setDaemon(true);
      engineThread = t;
      return t;
    });
    this.loop.setRemoveOnCancelPolicy(true);
    this.loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    // Never shut down: its threads end after a second idle, so stages the application holds still complete on it
    // after the client closed, and nothing ever runs inline on the engine or a backend thread instead.
    AtomicInteger workers = new AtomicInteger();
    this.callbacks = new ForkJoinPool(CALLBACK_THREADS, pool -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
      t.setName("elector-callback-" + n + "-" + workers.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, null, true, 0, CALLBACK_MAX_THREADS, 1, pool -> true, 1, TimeUnit.SECONDS);
  }

  /** Runs {@code task} on the engine thread, or {@code ifClosed} if the engine is gone. */
  void post(Runnable task, Runnable ifClosed) {
    if (!execute(task)) {
      ifClosed.run();
    }
  }

  @Override
  public boolean execute(Runnable task) {
    try {
      loop.execute(guard(task));
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
    return loop.schedule(guard(task), delay, unit);
  }

  /** Runs {@code task} on the engine thread after {@code nanos}; dropped if the engine is gone. */
  void scheduleNanos(Runnable task, long nanos) {
    try {
      schedule(task, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  @Override
  public boolean inLoop() {
    return Thread.currentThread() == engineThread;
  }

  /** Runs on the callback pool, so application continuations never run on the engine or a backend thread. */
  void onCallbacks(Runnable r) {
    callbacks.execute(r); // never shut down, unbounded queue: never rejects
  }

  /**
   * Refuses new tasks and lets the engine thread end after what is queued; from the engine thread itself (not
   * shutdownNow: that would interrupt the application's callback running on it).
   */
  void shutdown() {
    loop.shutdown();
  }

  /** Drops what is queued and stops the engine thread; the callback pool is left: queued callbacks still run. */
  void shutdownNow() {
    loop.shutdownNow();
  }

  private static Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "Elector engine task failed", e);
      }
    };
  }
}
