package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ElectionClient;
import dev.elector.Elections;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The application's own client replaces the auto-configured one; {@code elector.enabled=false} turns it all off. */
class UserClientTest {

  @Test
  void anApplicationClientNeedsNoConnectPropertyAndGetsTheCandidate() {
    try (ElectionClient mine = Elections.connect("mem://user-" + UUID.randomUUID() + "/app");
        ConfigurableApplicationContext app = new SpringApplicationBuilder(TestApp.class)
            .web(WebApplicationType.NONE)
            .initializers(c -> c.getBeanFactory().registerSingleton("myClient", mine))
            .properties("spring.main.banner-mode=off", "elector.election=jobs", "elector.candidate-id=mine")
            .run()) {
      assertThat(app.getBeansOfType(ElectionClient.class)).containsOnlyKeys("myClient");
      await().atMost(Duration.ofSeconds(20)).until(() -> app.getBean(TestApp.Job.class).runs() > 0);
      assertThat(app.getBean(ElectorCandidate.class).candidate().orElseThrow().id()).isEqualTo("mine");
      Health health = app.getBean(ElectorHealthIndicator.class).health(true);
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("session", mine.sessionState().name())
          .containsEntry("sessionId", "0x" + Long.toHexString(mine.sessionId()));
    }
  }

  @Test
  void disabledMeansNoBeansAndLeaderOnlyMethodsNeverRun() {
    try (ConfigurableApplicationContext app = TestApp.start(false, "elector.enabled=false",
        "elector.connect=mem://off-" + UUID.randomUUID() + "/app", "elector.election=jobs")) {
      assertThat(app.getBeanNamesForType(ElectionClient.class)).isEmpty();
      assertThat(app.getBeanNamesForType(ElectorCandidate.class)).isEmpty();
      TestApp.Job job = app.getBean(TestApp.Job.class);
      job.run(); // called directly, as the scheduler would
      assertThat(job.runs()).isZero();
    }
  }
}
