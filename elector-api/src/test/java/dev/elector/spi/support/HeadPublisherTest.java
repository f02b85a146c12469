package dev.elector.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Participant;
import dev.elector.spi.HeadListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The head watch every backend hands out: repeats dropped, nothing after cancel, one failure at most. */
class HeadPublisherTest {
  private static final Optional<Participant> A = Optional.of(new Participant("e", "a", 1, new byte[0]));
  private static final Optional<Participant> B = Optional.of(new Participant("e", "b", 2, new byte[0]));

  /** Records every call it gets. */
  private static final class Calls implements HeadListener {
    final List<Object> seen = new CopyOnWriteArrayList<>();

    @Override
    public void headChanged(Optional<Participant> head) {
      seen.add(head);
    }

    @Override
    public void failed(Throwable cause) {
      seen.add(cause);
    }
  }

  @Test
  void aHeadIsPassedOnOnlyWhenItChanges() {
    Calls calls = new Calls();
    HeadPublisher p = new HeadPublisher(calls, self -> {});
    assertThat(p.publish(Optional.empty())).isTrue();
    assertThat(p.publish(Optional.empty())).isFalse();
    assertThat(p.publish(A)).isTrue();
    assertThat(p.publish(Optional.of(new Participant("e", "a", 1, new byte[0])))).isFalse();
    assertThat(p.publish(B)).isTrue();
    assertThat(calls.seen).containsExactly(Optional.empty(), A, B);
  }

  @Test
  void failureIsReportedOnceAndEndsTheWatch() {
    Calls calls = new Calls();
    HeadPublisher p = new HeadPublisher(calls, self -> {});
    IllegalStateException first = new IllegalStateException("first");
    assertThat(p.fail(first)).isTrue();
    assertThat(p.fail(new IllegalStateException("second"))).isFalse();
    assertThat(p.publish(A)).isFalse();
    assertThat(p.ended()).isTrue();
    assertThat(calls.seen).containsExactly(first);
  }

  @Test
  void afterCancelNothingIsCalledAndTheBackendIsToldOnce() {
    Calls calls = new Calls();
    AtomicInteger told = new AtomicInteger();
    HeadPublisher p = new HeadPublisher(calls, self -> told.incrementAndGet());
    p.publish(A);
    p.cancel();
    p.cancel();
    assertThat(p.publish(B)).isFalse();
    assertThat(p.fail(new IllegalStateException())).isFalse();
    assertThat(calls.seen).containsExactly(A);
    assertThat(told).hasValue(1);
  }

  @Test
  void cancelWaitsForACallUnderWaySoNoneRunsAfterItReturns() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = new CopyOnWriteArrayList<>();
    HeadPublisher p = new HeadPublisher(new HeadListener() {
      @Override
      public void headChanged(Optional<Participant> head) {
        inside.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        order.add("call ended");
      }

      @Override
      public void failed(Throwable cause) {}
    }, self -> order.add("backend told"));
    Thread publisher = new Thread(() -> p.publish(A), "publisher");
    publisher.start();
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    Thread canceller = new Thread(() -> {
      p.cancel();
      order.add("cancel returned");
    }, "canceller");
    canceller.start();
    // The canceller waits for the monitor the call under way holds.
    await().atMost(Duration.ofSeconds(10)).until(() -> canceller.getState() == Thread.State.BLOCKED);
    release.countDown();
    publisher.join(10_000);
    canceller.join(10_000);
    assertThat(order).containsExactly("call ended", "backend told", "cancel returned");
  }
}
