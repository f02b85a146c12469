package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
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

  /**
   * Closes a client while its own direct listener holds Elector's thread, and checks that its session ended: the
   * case of a backend on the engine's loop, which cannot run its close there and must end the session from the
   * closing thread. On {@code uri}, client {@code a} leads with a holding listener and client {@code b}'s candidate
   * waits behind it; {@code a} is closed from the calling thread, and {@code b}'s candidate must then be elected
   * within {@code successorBound}, which the caller sets below what an expiry of {@code a}'s session would take.
   */
  public static void closeWhileHeldEndsTheSession(String uri, Duration successorBound) throws Exception {
    try (ElectionClient b = Elections.connect(uri); DirectListener holding = holding()) {
      ElectionClient a = Elections.connect(uri);
      try {
        a.election("e").candidate("a").listener(Runnable::run, holding).join();
        String thread = holding.electedOn(Duration.ofSeconds(10)).getName();
        if (!thread.startsWith("elector-engine-")) {
          fail("a's direct listener ran on '" + thread + "', not on Elector's engine thread, so it holds nothing");
        }
        Candidate successor = b.election("e").join("b");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (successor.state() != CandidateState.WAITING) {
          if (System.nanoTime() - deadline > 0) {
            fail("b's candidate was not waiting behind a within 10 s (state " + successor.state() + ")");
          }
          Thread.sleep(5);
        }

        a.close();
        try {
          successor.elected().toCompletableFuture().get(successorBound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          fail("b was not elected within " + successorBound.toMillis() + " ms of a's close: a's session outlived "
              + "a close made while its direct listener held Elector's thread");
        }
      } finally {
        holding.close();
        a.close();
      }
    }
  }

  /** Lets a held thread go. Idempotent. */
  @Override
  public void close() {
    release.countDown();
  }
}
