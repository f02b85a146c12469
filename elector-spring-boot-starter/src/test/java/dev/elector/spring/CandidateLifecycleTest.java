package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;

/**
 * The candidate bean's stop and start: a granted-event listener still running when the context stops the candidate
 * (the candidate's close completes meanwhile, and the revoked event must still be published before the candidate
 * reports itself stopped, as the context then goes on stopping, for example the web server); a restart detaches the
 * previous run's bindings.
 */
class CandidateLifecycleTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aSlowGrantedListenerStillSeesRevokedBeforeTheCandidateReportsStopped() throws Exception {
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SlowApp.class)
        .web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off", "elector.connect=mem://stop-" + UUID.randomUUID() + "/app",
            "elector.election=jobs", "elector.candidate-id=slow")
        .run()) {
      SlowGranted listener = app.getBean(SlowGranted.class);
      assertThat(listener.inGranted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("granted event published").isTrue();

      // What the context's lifecycle processor does on close: stop, then go on once the callback has run. The
      // second stop, asked for while the first is under way, must not report stopped any earlier.
      ElectorCandidate bean = app.getBean(ElectorCandidate.class);
      List<Integer> eventsAtCallback = new CopyOnWriteArrayList<>();
      CountDownLatch stopped = new CountDownLatch(2);
      Runnable callback = () -> {
        eventsAtCallback.add(listener.seen.size());
        stopped.countDown();
      };
      bean.stop(callback);
      // The listener holds the events thread until released, so the stop cannot complete before these lines run.
      assertThat(bean.isRunning()).as("running until the stop under way completes").isTrue();
      bean.stop(callback);
      assertThat(stopped.getCount()).as("no stop callback before the stop under way completes").isEqualTo(2);
      listener.release.countDown();
      assertThat(stopped.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("stop callbacks run").isTrue();

      assertThat(listener.failure).isEmpty();
      assertThat(eventsAtCallback).as("events published when the candidate reported itself stopped")
          .containsExactly(2, 2);
      assertThat(bean.isRunning()).isFalse();
      assertThat(listener.seen.get(0)).isInstanceOf(LeadershipGrantedEvent.class);
      assertThat(listener.seen.get(1)).isInstanceOfSatisfying(LeadershipRevokedEvent.class, revoked ->
          assertThat(revoked.token()).isEqualTo(((LeadershipGrantedEvent) listener.seen.get(0)).token()));
    }
  }

  @Test
  void aRestartDetachesThePreviousRunsBindingsAndLeadsAgain() {
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SlowApp.class)
        .web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off", "elector.connect=mem://restart-" + UUID.randomUUID() + "/app",
            "elector.election=jobs", "elector.candidate-id=restarted", "slow-granted=false")
        .run()) {
      ElectorCandidate bean = app.getBean(ElectorCandidate.class);
      CountingBinding binding = app.getBean(CountingBinding.class);
      await().atMost(WAIT).until(bean::isLeader);
      bean.stop();
      assertThat(bean.isLeader()).isFalse();
      bean.start();
      await().atMost(WAIT).until(bean::isLeader);
      assertThat(binding.binds.get()).isEqualTo(2);
      assertThat(binding.cancels.get()).as("the first run's binding detached").isEqualTo(1);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class SlowApp {
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(name = "slow-granted",
        matchIfMissing = true)
    SlowGranted slowGranted() {
      return new SlowGranted();
    }

    @Bean
    CountingBinding countingBinding() {
      return new CountingBinding();
    }
  }

  /** Counts how often it is attached to a candidate and detached. */
  static class CountingBinding implements CandidateBinding {
    final AtomicInteger binds = new AtomicInteger();
    final AtomicInteger cancels = new AtomicInteger();

    @Override
    public Subscription bind(Candidate candidate) {
      binds.incrementAndGet();
      return cancels::incrementAndGet;
    }
  }

  /**
   * Holds the event thread in the granted event until the candidate is being stopped, the test has released it and
   * the candidate's close has completed: the revoked event is then queued behind this call.
   */
  static class SlowGranted {
    final List<ApplicationEvent> seen = new CopyOnWriteArrayList<>();
    final List<Throwable> failure = new CopyOnWriteArrayList<>();
    final CountDownLatch inGranted = new CountDownLatch(1);
    /** Counted down by the test once it has checked the stop under way. */
    final CountDownLatch release = new CountDownLatch(1);

    @EventListener
    public void granted(LeadershipGrantedEvent e) {
      seen.add(e);
      ElectorCandidate bean = (ElectorCandidate) e.getSource();
      try {
        // join() returns after elected may already be queued: the candidate may not be set yet.
        Candidate c = await().atMost(WAIT).pollInterval(Duration.ofMillis(1))
            .until(() -> bean.candidate().orElse(null), Objects::nonNull);
        inGranted.countDown();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> bean.candidate().isEmpty()); // stopping
        if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new AssertionError("the test did not release the granted listener within " + WAIT);
        }
        // The context's stop has begun the close; this call only waits for it (close is idempotent).
        c.closeAsync().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception | Error x) {
        failure.add(x);
      }
    }

    @EventListener
    public void revoked(LeadershipRevokedEvent e) {
      seen.add(e);
    }
  }
}
