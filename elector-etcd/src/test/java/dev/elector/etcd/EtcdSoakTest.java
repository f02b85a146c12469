package dev.elector.etcd;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.tck.Soak;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link Soak} (issue 8) on a real single-member etcd: random faults from a printed seed over hundreds of
 * candidates, every term checked, heap and thread bounds. Short form by default (about 30 s of faults); the full form
 * on demand: {@code -Delector.soak.duration=5m} (and {@code -Delector.soak.seed=N} to replay a run).
 */
class EtcdSoakTest {
  private static final Duration SESSION = Duration.ofSeconds(3);

  private EtcdCluster etcd;

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdCluster.start(1);
  }

  @AfterEach
  void stop() throws Exception {
    etcd.close();
  }

  @Test
  void randomFaultsOverManyCandidatesKeepEveryRule() throws Exception {
    Soak.run(new Soak.Backend() {
      @Override
      public String name() {
        return "etcd";
      }

      @Override
      public String endpoint() {
        return etcd.endpoint(0);
      }

      @Override
      public Duration sessionTimeout() {
        return SESSION;
      }

      @Override
      public ElectionClient connect(String endpoint) {
        return Elections.connect(ClientConfig.builder("etcd").endpoints(endpoint).root("/soak")
            .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(3))
            .build());
      }

      @Override
      public boolean expireSession(long sessionId) throws Exception {
        // Revoking the lease is etcd's server-side expiry; it may have expired on its own while cut off.
        String reply = http("POST", "/v3/lease/revoke", "{\"ID\":" + sessionId + "}");
        return reply.contains("\"header\"") && !reply.contains("error");
      }

      /**
       * jetcd's per-client executor starts a worker per concurrent task and lets it go after 60 s idle: its size
       * follows the recent burst of work, not a leak (checked to be gone at close instead).
       */
      @Override
      public boolean isCachedPoolThread(String name) {
        return name.startsWith("jetcd-pool-");
      }

      @Override
      public boolean isClientThread(String name) {
        return name.startsWith("vert.x-") || name.startsWith("vertx-") || name.startsWith("jetcd-");
      }
    });
  }

  /** One HTTP/1.0 request to etcd's JSON gateway on its own connection (no client library, no pooled socket). */
  private String http(String method, String path, String body) throws java.io.IOException {
    String endpoint = etcd.endpoint(0);
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1",
          Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1))), 2000);
      s.setSoTimeout(5000);
      byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String head = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + b.length + "\r\n\r\n";
      s.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().write(b);
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
