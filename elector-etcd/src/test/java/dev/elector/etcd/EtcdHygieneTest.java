package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.tck.HygieneWorkload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resource hygiene: after clients with candidates, resigns and observers are closed, nothing they used is
 * left behind — no client thread in this JVM, no TCP connection to etcd's client port (counted on the server side
 * in {@code /proc/net/tcp}), no watcher ({@code etcd_debugging_mvcc_watcher_total} from etcd's metrics) and no
 * lease (the server's lease list).
 */
class EtcdHygieneTest {
  private static final Pattern WATCHERS = Pattern.compile("^etcd_debugging_mvcc_watcher_total (\\d+)",
      Pattern.MULTILINE);
  private static final Pattern STREAMS = Pattern.compile("^etcd_debugging_mvcc_watch_stream_total (\\d+)",
      Pattern.MULTILINE);
  private static final Pattern LEASE_ID = Pattern.compile("\"ID\":");

  private EtcdCluster etcd;
  private int port;

  @BeforeEach
  void start() {
    etcd = EtcdCluster.start(1);
    String endpoint = etcd.endpoint(0);
    port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }

  @AfterEach
  void stop() {
    etcd.close();
  }

  @Test
  void closedClientsLeaveNoThreadConnectionWatchOrLeaseBehind() throws Exception {
    ClientConfig config = ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root("/hygiene")
        .sessionTimeout(Duration.ofSeconds(3)).connectTimeout(Duration.ofSeconds(5))
        .operationTimeout(Duration.ofSeconds(3)).build();
    // A first client and close, so that process-wide pools a client library keeps for good (not per client) exist
    // before the first count.
    try (ElectionClient warm = Elections.connect(config)) {
      warm.election("warm").join("w").awaitLeadership(Duration.ofSeconds(10));
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> counts().get("leases") == 0);
    // A closed client's callback pool ends its threads after a second idle (stages the application still holds
    // complete there): let the warm-up's go, or they would be counted before and gone after.
    await().atMost(Duration.ofSeconds(15)).until(() -> threadGroups().keySet().stream()
        .noneMatch(n -> n.startsWith("elector-callback-")));
    Map<String, Long> before = counts();
    Map<String, Long> threadsBefore = threadGroups();

    HygieneWorkload workload = HygieneWorkload.start(config, Duration.ofSeconds(15));
    Map<String, Long> during = counts();
    Map<String, Long> threadsDuring = threadGroups();
    assertThat(during.get("leases")).as("a lease per client").isEqualTo(before.get("leases") + 3);
    assertThat(during.get("connections")).isGreaterThanOrEqualTo(before.get("connections") + 3);
    assertThat(during.get("watchers")).isGreaterThan(before.get("watchers"));
    assertThat(threadsDuring.values().stream().mapToLong(Long::longValue).sum())
        .isGreaterThan(threadsBefore.values().stream().mapToLong(Long::longValue).sum());

    workload.close();

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(counts()).as("server-side connections, watchers, leases").isEqualTo(before);
      assertThat(threadGroups()).as("client threads by name").isEqualTo(threadsBefore);
    });
    System.out.printf("etcd hygiene: before %s threads %s; with 3 clients/15 candidates/3 observers %s threads %s; "
        + "after close %s threads %s%n", before, threadsBefore, during, threadsDuring, counts(), threadGroups());
  }

  /**
   * Threads of Elector and of the gRPC/Netty/Vert.x stack, grouped by name without digits. gRPC's shared
   * {@code grpc-default-executor} is a process-wide cached pool whose idle threads linger for 60 s whoever used them,
   * so it is not counted.
   */
  private static Map<String, Long> threadGroups() {
    Map<String, Long> out = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      boolean ours = n.startsWith("elector-") || n.startsWith("vert.x-") || n.startsWith("vertx-")
          || n.startsWith("grpc-") || n.contains("EventLoop") || n.contains("eventloop") || n.startsWith("jetcd");
      if (ours && !n.startsWith("grpc-default-executor") && t.isAlive()) {
        out.merge(n.replaceAll("\\d+", "#"), 1L, Long::sum);
      }
    }
    return out;
  }

  /** The server's view: established connections to its client port, watchers, watch streams, leases. */
  private Map<String, Long> counts() throws IOException {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("connections", serverConnections());
    String metrics = http("GET", "/metrics", null);
    out.put("watchers", number(WATCHERS, metrics));
    out.put("watchStreams", number(STREAMS, metrics));
    String leases = http("POST", "/v3/lease/leases", "{}");
    if (!leases.contains("\"header\"")) {
      throw new IllegalStateException("unexpected lease list: " + leases);
    }
    out.put("leases", LEASE_ID.matcher(leases).results().count());
    return out;
  }

  private static long number(Pattern p, String text) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("metric " + p + " not found");
    }
    return Long.parseLong(m.group(1));
  }

  /** Established TCP connections whose local port is etcd's client port: the server's end of every client. */
  private long serverConnections() {
    String hexPort = String.format(":%04X", port);
    long n = 0;
    for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(file))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("01")) {
            n++;
          }
        }
      } catch (IOException e) {
        if (file.endsWith("tcp")) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return n;
  }

  /** Through {@link EtcdHttp}: its connection is closed before returning, so it is never counted. */
  private String http(String method, String path, String body) throws IOException {
    return EtcdHttp.request("127.0.0.1:" + port, method, path, body);
  }
}
