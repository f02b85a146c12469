package dev.elector.spring;

import dev.elector.LeaderTask;
import dev.elector.Leadership;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** The application the tests start several times: a leader-only scheduled job, an event recorder, a registry. */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableScheduling
class TestApp {

  /** Starts one instance; {@code web} on a random port, with the health endpoint's details shown. */
  static ConfigurableApplicationContext start(boolean web, String... properties) {
    return new SpringApplicationBuilder(TestApp.class)
        .web(web ? WebApplicationType.SERVLET : WebApplicationType.NONE)
        .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
            "management.endpoints.web.exposure.include=health", "management.endpoint.health.show-details=always")
        .properties(properties)
        .run();
  }

  @Bean
  Job job() {
    return new Job();
  }

  @Bean
  Events events(Environment environment) {
    return new Events(environment);
  }

  @Bean
  WholeTerm wholeTerm() {
    return new WholeTerm();
  }

  @Bean
  MeterRegistry meterRegistry() {
    return new SimpleMeterRegistry();
  }

  /** Counts its runs and the terms it was handed. Proxied (CGLIB): read it through its methods, not its fields. */
  static class Job {
    private final AtomicInteger runs = new AtomicInteger();
    private final List<Leadership> terms = new CopyOnWriteArrayList<>();
    private final AtomicInteger runsWithoutValidTerm = new AtomicInteger();

    public int runs() {
      return runs.get();
    }

    public List<Leadership> terms() {
      return terms;
    }

    public int runsWithoutValidTerm() {
      return runsWithoutValidTerm.get();
    }

    @Scheduled(fixedDelay = 20)
    @LeaderOnly
    public void run() {
      Leadership term = LeaderContext.currentTerm().orElseThrow();
      if (!term.isValid()) {
        runsWithoutValidTerm.incrementAndGet();
      }
      terms.add(term);
      runs.incrementAndGet();
    }
  }

  /** A whole-term task: runs from election until interrupted at the term's end, and records both. */
  static class WholeTerm implements LeaderTask {
    final List<Leadership> started = new CopyOnWriteArrayList<>();
    final List<Leadership> interrupted = new CopyOnWriteArrayList<>();

    @Override
    public void run(Leadership term) {
      started.add(term);
      try {
        new CountDownLatch(1).await(); // until the term ends
      } catch (InterruptedException e) {
        interrupted.add(term);
      }
    }
  }

  /**
   * Every leadership event this instance published, in order; on revoked, also whether this instance's own web
   * server still answered a request (the candidate must leave before it stops taking requests).
   */
  static class Events {
    final List<ApplicationEvent> seen = new CopyOnWriteArrayList<>();
    final List<Integer> statusWhenRevoked = new CopyOnWriteArrayList<>();
    private final Environment environment;

    Events(Environment environment) {
      this.environment = environment;
    }

    @EventListener
    public void granted(LeadershipGrantedEvent e) {
      seen.add(e);
    }

    @EventListener
    public void revoked(LeadershipRevokedEvent e) {
      seen.add(e);
      String port = environment.getProperty("local.server.port");
      if (port != null) {
        statusWhenRevoked.add(Http.status(port, "/actuator/health/ping"));
      }
    }
  }
}
