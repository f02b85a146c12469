package dev.elector.tck;

import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A listener for a backend's own tests of what runs on Elector's thread, registered with a direct executor
 * ({@code Runnable::run}) so that it runs on the thread Elector hands it to: it records the thread {@code elected}
 * ran on and, if made {@link #holding()}, keeps that thread until {@link #close()} (or until the client's close
 * interrupts it).
 */
public final class DirectListener implements LeadershipListener, AutoCloseable {
  private final boolean hold;
  private final CompletableFuture<Thread> electedOn = new CompletableFuture<>();
  private final CountDownLatch release = new CountDownLatch(1);

  private DirectListener(boolean hold) {
    this.hold = hold;
  }

  /** A listener that only records where {@code elected} ran. */
  public static DirectListener recording() {
    return new DirectListener(false);
  }

  /** A listener that holds the thread {@code elected} runs on until {@link #close()}, at most a minute. */
  public static DirectListener holding() {
    return new DirectListener(true);
  }

  @Override
  public void elected(Leadership term) {
    electedOn.complete(Thread.currentThread());
    if (hold) {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the client's close stops its engine thread
      }
    }
  }

  @Override
  public void revoked(Leadership term, EndReason reason) {}

  /** The thread {@code elected} ran (or runs) on, waiting at most {@code timeout} for it. */
  public Thread electedOn(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
    return electedOn.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Lets a held thread go. Idempotent. */
  @Override
  public void close() {
    release.countDown();
  }
}
