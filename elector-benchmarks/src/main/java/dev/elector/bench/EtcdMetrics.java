package dev.elector.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Counters from an etcd member's Prometheus endpoint ({@code /metrics} on its client port, plain HTTP). */
final class EtcdMetrics {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final URI uri;

  EtcdMetrics(int clientPort) {
    this.uri = URI.create("http://127.0.0.1:" + clientPort + "/metrics");
  }

  /** The value of the unlabelled counter {@code name}. */
  long read(String name) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
    String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ")) {
        // Prometheus prints counters as floats ("1234" or "1.234e+06").
        return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new IOException("etcd metric " + name + " not found at " + uri);
  }
}
