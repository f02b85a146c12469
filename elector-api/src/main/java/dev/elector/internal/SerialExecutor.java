package dev.elector.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor. The lock guards only the queue: tasks run
 * outside it, so a callback can never run while Elector holds a lock (SPEC rule 3.2).
 */
final class SerialExecutor implements Executor {
  private static final System.Logger LOG = System.getLogger("dev.elector");
  private final Executor delegate;
  /** Sized for the usual one or two pending callbacks: there is one per listener, thousands per client. */
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>(2);
  /** A drain is scheduled or running, or pending (queued work not yet handed to the delegate). */
  private boolean running;
  /** Work was queued while nothing ran and no {@link #start()} has scheduled the drain yet. */
  private boolean pendingStart;

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    enqueue(task);
    start();
  }

  /**
   * Queues {@code task} without running anything. If nothing was running, a drain is now pending: the next
   * {@link #start()}, from any thread, schedules it.
   */
  void enqueue(Runnable task) {
    synchronized (queue) {
      queue.add(task);
      if (!running) {
        running = true;
        pendingStart = true;
      }
    }
  }

  /**
   * Schedules the pending drain, if one is pending; otherwise does nothing. Call it outside any lock of your own: a
   * direct delegate runs the tasks on the calling thread. Whichever thread calls it first starts the drain, so a task
   * queued by one thread runs even while another thread that queued earlier has not got round to starting it.
   */
  void start() {
    synchronized (queue) {
      if (!pendingStart) {
        return;
      }
      pendingStart = false;
    }
    schedule();
  }

  private void schedule() {
    try {
      delegate.execute(this::drain);
    } catch (RejectedExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "An application executor rejected an Elector callback; dropping "
          + "its queued callbacks", e);
      synchronized (queue) {
        queue.clear();
        running = false;
      }
    }
  }

  private void drain() {
    // One task per turn keeps a busy listener from starving others that share the delegate.
    Runnable next;
    synchronized (queue) {
      next = queue.poll();
      if (next == null) {
        running = false;
        return;
      }
    }
    try {
      next.run();
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.WARNING, "An Elector callback threw; continuing with the next one", e);
    }
    boolean more;
    synchronized (queue) {
      more = !queue.isEmpty();
      if (!more) {
        running = false;
      }
    }
    if (more) {
      schedule();
    }
  }
}
