package dev.elector.spring;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** GETs over real HTTP from a context's web server. */
final class Http {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private Http() {}

  /** The elector component of {@code GET /actuator/health}. */
  static JsonNode electorHealth(ConfigurableApplicationContext context) throws Exception {
    return get(context, "/actuator/health").get("components").get("elector");
  }

  /** The status of {@code GET path} on 127.0.0.1:{@code port}, or -1 if the request failed. */
  static int status(String port, String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build();
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  static JsonNode get(ConfigurableApplicationContext context, String path) throws Exception {
    String port = context.getEnvironment().getProperty("local.server.port");
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }
}
