package dev.elector;

/**
 * A registration that can be cancelled: a listener, an observer. After {@link #cancel()} returns, no callback of
 * the registration starts (one already running on another thread may finish). Cancelling twice is harmless.
 */
public interface Subscription extends AutoCloseable {
  void cancel();

  /** Same as {@link #cancel()}. */
  @Override
  default void close() {
    cancel();
  }
}
