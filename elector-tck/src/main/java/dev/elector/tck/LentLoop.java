package dev.elector.tck;

import dev.elector.spi.EngineLoop;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link EngineLoop} as the engine lends it (one thread, tasks in the order posted, refused once closed), for a
 * backend's own tests of what it does on a lent loop: which thread completes its stages, how many tasks it ran.
 * Close the backends that run on it before it.
 */
public final class LentLoop implements EngineLoop, AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;
  private final AtomicLong tasks = new AtomicLong();
  private volatile Thread thread;

  /** A loop whose thread is named {@code name}. */
  public LentLoop(String name) {
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      thread = t;
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public boolean execute(Runnable task) {
    try {
      executor.execute(() -> {
        tasks.incrementAndGet();
        task.run();
      });
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
    return executor.schedule(() -> {
      tasks.incrementAndGet();
      task.run();
    }, delay, unit);
  }

  @Override
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** The loop's thread, once it has run a task; null before. */
  public Thread thread() {
    return thread;
  }

  /** How many tasks the loop has run, posted and delayed. */
  public long tasks() {
    return tasks.get();
  }

  @Override
  public void close() throws InterruptedException {
    executor.shutdownNow();
    if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the lent loop's thread did not end within 10 s");
    }
  }
}
