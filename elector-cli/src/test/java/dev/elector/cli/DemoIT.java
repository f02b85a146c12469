package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code elector demo} and {@code elector server}: what someone with only a JDK runs first. */
class DemoIT {
  @TempDir Path tmp;

  @Test
  void demoPrintsATimelineOfHandoffsAndFailoversThenExitsCleanly() throws Exception {
    try (Elector e = Elector.run(tmp, "demo", Duration.ofSeconds(90), Map.of(), "demo")) {
      assertThat(e.exitCode()).as(e.err()).isZero();
      String out = e.out();
      assertThat(out).contains("5 candidates, 4 rounds", "round 1/4", "round 4/4", "resigns", "crashes",
          "is cut off", "never two valid leaders at once", "stopped ZooKeeper");
      // The first leader and one per round, each with a token; a machine so loaded that a session expires by
      // itself may add more.
      List<String> leads = e.outLines().stream()
          .filter(l -> l.matches("\\s*\\d+\\.\\d\\ds  \\* c\\d+ leads with token \\d+.*")).toList();
      assertThat(leads).hasSizeGreaterThanOrEqualTo(5);
      assertThat(e.err()).as("nothing on stderr").isEmpty();
    }
    assertThat(leftovers()).as("temp files left by the embedded ZooKeeper").isEmpty();
  }

  @Test
  void demoInterruptedMidwayLeavesNothingBehind() throws Exception {
    try (Elector e = Elector.start(tmp, "demo-interrupted", Map.of(), "demo", "--rounds", "50")) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> e.out().contains("round 1/50"));
      e.process().destroy();
      assertThat(e.process().waitFor(15, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    assertThat(leftovers()).as("temp files left by the embedded ZooKeeper").isEmpty();
  }

  @Test
  void serverPrintsItsUriServesAndCleansUpOnSigterm() throws Exception {
    try (Elector server = Elector.start(tmp, "server", Map.of(), "server", "--port", "0")) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> server.out().contains("export ELECTOR_CONNECT="));
      String uri = server.outLines().stream().filter(l -> l.contains("export ELECTOR_CONNECT="))
          .map(l -> l.substring(l.indexOf('\'') + 1, l.lastIndexOf('\''))).findFirst().orElseThrow();
      assertThat(uri).startsWith("zookeeper://127.0.0.1:");
      try (Elector leader = Elector.run(tmp, "leader", Duration.ofSeconds(30), Map.of("ELECTOR_CONNECT", uri),
          "leader", "--election", "nobody-here")) {
        assertThat(leader.exitCode()).as(leader.err()).isEqualTo(3);
      }
      server.process().destroy();
      assertThat(server.process().waitFor(15, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    assertThat(leftovers()).isEmpty();
  }

  /** What the tool's JVM left in its java.io.tmpdir. */
  private List<Path> leftovers() throws Exception {
    Path jvmTmp = tmp.resolve("jvm-tmp");
    if (!Files.exists(jvmTmp)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(jvmTmp)) {
      // The JVM's own perf data directory is not ours to judge.
      return s.filter(p -> !p.getFileName().toString().startsWith("hsperfdata_")).toList();
    }
  }
}
