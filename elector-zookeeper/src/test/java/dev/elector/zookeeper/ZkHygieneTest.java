package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ClientConfig;
import dev.elector.tck.HygieneWorkload;
import dev.elector.testservers.InProcessZooKeeper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.server.command.FourLetterCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resource hygiene: after clients with candidates, resigns and observers are closed, nothing they used is
 * left behind — no client or engine thread in this JVM, and, counted by the server itself ({@code mntr}), no
 * connection, watch or ephemeral node.
 */
class ZkHygieneTest {
  private static final Pattern MNTR = Pattern.compile("^(zk_\\w+)\\s+(\\S+)$", Pattern.MULTILINE);

  private InProcessZooKeeper server;

  @BeforeEach
  void start() throws Exception {
    // mntr is off by default; the whitelist is read once per JVM, so read it again after setting it.
    System.setProperty("zookeeper.4lw.commands.whitelist", "srvr,mntr");
    FourLetterCommands.resetWhiteList();
    server = InProcessZooKeeper.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void closedClientsLeaveNoThreadConnectionWatchOrNodeBehind() throws Exception {
    Map<String, Long> before = counts();
    ClientConfig config = ZkBackends.config(server.endpoint(), "/hygiene");
    // Lines settle and hand over a few times, so watches are set, fired and set again.
    HygieneWorkload workload = HygieneWorkload.start(config, ZkBackends.WAIT);
    Map<String, Long> during = counts();
    assertThat(during.get("threads")).as("threads while clients are open").isGreaterThan(before.get("threads"));
    assertThat(during.get("zk_num_alive_connections")).isGreaterThanOrEqualTo(before.get("zk_num_alive_connections") + 3);
    assertThat(during.get("zk_watch_count")).isGreaterThan(before.get("zk_watch_count"));
    assertThat(during.get("zk_ephemerals_count")).isEqualTo(before.get("zk_ephemerals_count") + workload.candidates());

    // Half the candidates close on their own, the rest with their client; one observer is cancelled first.
    workload.close();

    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> {
          Map<String, Long> now = counts();
          // Threads: at most as many as before, since a client of an earlier test class may still be finishing its
          // close when "before" is taken. The server is this test's own, so its counts must be equal.
          assertThat(now.get("threads")).as("client and engine threads").isLessThanOrEqualTo(before.get("threads"));
          now.remove("threads");
          Map<String, Long> server = new LinkedHashMap<>(before);
          server.remove("threads");
          assertThat(now).as("server-side connections, watches, ephemeral nodes").isEqualTo(server);
        });
    Map<String, Long> after = counts();
    System.out.printf("ZooKeeper hygiene: before %s, with 3 clients/15 candidates/3 observers %s, after close %s%n",
        before, during, after);
  }

  /** This JVM's client-side threads plus the server's own view of connections, watches and ephemeral nodes. */
  private Map<String, Long> counts() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("threads", Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.startsWith("elector-") || n.contains("-SendThread(") || n.endsWith("-EventThread"))
        .count());
    String mntr = ZkProcessEnsemble.fourLetter(server.endpoint(), "mntr");
    Matcher m = MNTR.matcher(mntr);
    Map<String, String> values = new LinkedHashMap<>();
    while (m.find()) {
      values.put(m.group(1), m.group(2));
    }
    for (String key : List.of("zk_num_alive_connections", "zk_watch_count", "zk_ephemerals_count")) {
      String v = values.get(key);
      if (v == null) {
        throw new IllegalStateException("mntr has no " + key + ": " + mntr);
      }
      // The mntr connection itself is counted; it is there in every sample, so equal counts mean nothing leaked.
      out.put(key, Long.parseLong(v));
    }
    return out;
  }
}
