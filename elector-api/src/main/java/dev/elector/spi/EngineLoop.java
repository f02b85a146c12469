package dev.elector.spi;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The engine's own thread, lent to a backend at {@link ElectionProvider#connect(dev.elector.ClientConfig,
 * BackendListener, EngineLoop) connect}. A backend that confines its state to this loop instead of a thread of its
 * own saves a thread hand-off on every path from its client library to the application: a notification crosses
 * from the library's thread to this loop once, and the engine handles what the backend completes there without
 * another.
 *
 * <p>Invariants a backend may rely on:
 * <ul>
 *   <li>tasks run one at a time on one thread, in the order they were posted (delayed ones when due);
 *   <li>a task posted from the loop runs after the current task returns, never inline, so posting never re-enters
 *       the caller;
 *   <li>the engine's own work runs on the same thread, but never inside a backend's call: its listeners ({@link
 *       BackendListener}, {@link HeadListener}) and what it attaches to the backend's stages only post to the loop
 *       or hand off to the application's pool, so a backend may call them and complete its stages at any point of
 *       a task;
 *   <li>once the client has closed, {@link #execute} returns false and {@link #schedule} throws.
 * </ul>
 * What a backend must do in return: never block on the loop for something only the loop can do (a stage it
 * completes there, say), keep each task short, and run {@link ElectionBackend#close()} inline when it is called on
 * the loop ({@link #inLoop()}): the engine calls it there when the application closes the client from a callback
 * on a direct executor.
 *
 * <p>The trade a backend makes by sharing the loop: an application callback registered with a direct executor also
 * runs on it, and while it blocks, the backend's work (heartbeats included) waits too. The session deadline then
 * lapses on its own clock, which is safe: the term stops being valid (SPEC rule 1.4) and no successor is told early.
 * Such a callback that waits for a stage of the same client waits for work queued behind itself. And a close
 * called while the loop is held cannot wait for the loop: the backend ends its session from the closing thread
 * (closes its handle, revokes its lease), so its tickets do not outlive the client.
 */
public interface EngineLoop {
  /** Runs {@code task} on the loop after what is queued; false, without running it, once the client has closed. */
  boolean execute(Runnable task);

  /**
   * Runs {@code task} on the loop after {@code delay}.
   *
   * @throws RejectedExecutionException once the client has closed
   */
  ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit);

  /** True if the calling thread is the loop's. */
  boolean inLoop();
}
