package dev.elector.spi.support;

import dev.elector.Participant;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@link HeadWatch} a backend hands out from {@code watchHead}, and the one way it calls the engine's
 * {@link HeadListener}. The backend reports what it reads with {@link #publish} and ends the watch with
 * {@link #fail}; the engine ends it with {@link #cancel}.
 *
 * <p>Invariants:
 * <ul>
 *   <li>a head is passed on only when it differs from the last one passed on (the first always is);
 *   <li>no listener call starts after {@link #cancel()} returns: a call under way finishes first (the monitor; the
 *       engine's listener only posts to its loop, so it is held briefly);
 *   <li>{@link HeadListener#failed} is called at most once, and nothing after it;
 *   <li>the backend's {@code onCancel} runs once, on the thread that cancels, after which the backend may drop the
 *       watch at leisure: nothing it publishes reaches the listener any more.
 * </ul>
 * A listener that throws is logged and the watch goes on. Thread-safe.
 */
public final class HeadPublisher implements HeadWatch {
  private static final System.Logger LOG = System.getLogger(HeadPublisher.class.getName());

  private final HeadListener listener;
  private final Consumer<? super HeadPublisher> onCancel;
  private boolean done;
  private boolean cancelled;
  private Optional<Participant> last;

  /**
   * A publisher for one {@code watchHead} call.
   *
   * @param listener the engine's listener
   * @param onCancel what the backend does when the engine cancels (drop this publisher's watch); runs once
   */
  public HeadPublisher(HeadListener listener, Consumer<? super HeadPublisher> onCancel) {
    this.listener = listener;
    this.onCancel = onCancel;
  }

  /**
   * Reports the head the backend read, unless it repeats the last report or the watch has ended.
   *
   * @param head the election's first ticket's participant, or empty when its line is empty
   * @return true if the listener was called
   */
  public synchronized boolean publish(Optional<Participant> head) {
    if (done || head.equals(last)) {
      return false;
    }
    last = head;
    try {
      listener.headChanged(head);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "head listener failed", e);
    }
    return true;
  }

  /**
   * Ends the watch with {@code why}, unless it has ended already.
   *
   * @param why the reason, passed to {@link HeadListener#failed}
   * @return true if the listener was told
   */
  public synchronized boolean fail(Throwable why) {
    if (done) {
      return false;
    }
    done = true;
    try {
      listener.failed(why);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "head listener failed", e);
    }
    return true;
  }

  /**
   * Whether the watch has ended (cancelled or failed): the backend can stop reading for it.
   *
   * @return true once ended
   */
  public synchronized boolean ended() {
    return done;
  }

  @Override
  public void cancel() {
    synchronized (this) {
      done = true;
      if (cancelled) {
        return;
      }
      cancelled = true;
    }
    onCancel.accept(this);
  }
}
