package dev.elector.etcd;

import dev.elector.Participant;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A head watch handed to the engine. Invariant: once cancelled (or failed), no call to its listener starts; a call
 * under way when {@link #cancel} runs finishes first (the lock), so none runs after cancel returns.
 */
final class HeadSub implements HeadWatch {
  private static final System.Logger LOG = System.getLogger(HeadSub.class.getName());

  private final HeadListener headListener;
  /** Told of a cancel, to drop this watch from its line; called on the caller's thread. */
  private final Consumer<HeadSub> onCancel;
  private boolean cancelled;
  /** Loop-confined: whether the first head was delivered. */
  boolean primed;

  HeadSub(HeadListener headListener, Consumer<HeadSub> onCancel) {
    this.headListener = headListener;
    this.onCancel = onCancel;
  }

  synchronized void deliver(Optional<Participant> head) {
    if (cancelled) {
      return;
    }
    try {
      headListener.headChanged(head);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "head listener failed", e);
    }
  }

  synchronized void fail(Throwable why) {
    if (cancelled) {
      return;
    }
    cancelled = true;
    try {
      headListener.failed(why);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "head listener failed", e);
    }
  }

  @Override
  public void cancel() {
    synchronized (this) {
      cancelled = true;
    }
    onCancel.accept(this);
  }
}
