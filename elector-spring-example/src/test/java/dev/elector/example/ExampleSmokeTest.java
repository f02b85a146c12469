package dev.elector.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The example starts (on the mem backend, to stay cheap), leads alone, runs its job and answers GET /leader. */
class ExampleSmokeTest {

  @Test
  void aSingleInstanceLeadsRunsTheJobAndSaysSo() {
    String connect = "mem://example-" + UUID.randomUUID() + "/app";
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(ExampleApplication.class)
        .properties("server.port=0", "server.address=127.0.0.1", "elector.connect=" + connect,
            "elector.candidate-id=solo", "example.report-every=50ms")
        .run()) {
      String port = app.getEnvironment().getProperty("local.server.port");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/leader"))
          .timeout(Duration.ofSeconds(10)).build();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(app.getBean(ReportJob.class).runs()).isPositive();
        String body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
        assertThat(body).contains("\"leader\":\"solo\"", "\"me\":\"solo\"", "\"role\":\"LEADER\"",
            "\"session\":\"CONNECTED\"");
      });
    }
  }
}
