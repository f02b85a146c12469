package dev.elector.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness end to end at smoke size: both servers start, every contender (Elector included) completes a few
 * handoffs, and the table's files are written. No timing is asserted: figures are the benchmark's output, not a
 * test's verdict.
 */
class HarnessSmokeTest {
  @TempDir
  Path out;

  @Test
  void smokeRunMeasuresEveryContenderAndWritesItsFiles() throws Exception {
    Results res = BenchMain.run(Options.parse("--smoke", "--only", "floors,handoff", "--out", out.toString()));

    List<Row> rows = res.rows();
    assertThat(rows).extracting(Row::scenario)
        .contains(Floors.ZK_READ, Floors.ZK_WRITE, Floors.ETCD_READ, Floors.ETCD_WRITE);
    for (String floor : List.of(Floors.ZK_NOTIFY, Floors.ETCD_NOTIFY)) {
      assertThat(rows).filteredOn(r -> r.scenario().equals(floor)).singleElement()
          .satisfies(r -> assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L));
    }
    String steadyZk = Handoff.scenario(Handoff.Mode.CLOSE, false, "ZooKeeper");
    String steadyEtcd = Handoff.scenario(Handoff.Mode.CLOSE, false, "etcd");
    for (String who : List.of("Elector", "Curator LeaderLatch", "Curator LeaderSelector")) {
      assertThat(res.find(steadyZk, who)).as(who + " on ZooKeeper")
          .hasValueSatisfying(r -> assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L));
    }
    for (String who : List.of("Elector", "jetcd Election")) {
      assertThat(res.find(steadyEtcd, who)).as(who + " on etcd")
          .hasValueSatisfying(r -> assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L));
    }
    assertThat(Files.readAllLines(out.resolve("raw.csv")).size()).isGreaterThan(rows.size());
    assertThat(Files.readAllLines(out.resolve("summary.csv"))).hasSize(rows.size() + 1);
    assertThat(Files.size(out.resolve("handoff-failover.png"))).isGreaterThan(10_000);
  }

  @Test
  void scaleRunsEveryContenderOnServersOfItsOwn() throws Exception {
    Results res = BenchMain.run(Options.parse("--smoke", "--only", "scale", "--out", out.toString()));

    for (String backend : List.of("ZooKeeper", "etcd")) {
      assertThat(res.elector(Scale.joinOne(100, 10, backend))).as("Elector joins on " + backend)
          .hasValueSatisfying(r -> assertThat(r.values()).as(r.note()).hasSize(1));
      assertThat(res.elector(Scale.heapOne(100, backend))).as("Elector's heap on " + backend)
          .hasValueSatisfying(r -> assertThat(r.note()).contains("client only"));
      assertThat(res.elector(Scale.joinMany(100, backend))).as("Elector's many elections on " + backend)
          .hasValueSatisfying(r -> assertThat(r.values()).as(r.note()).hasSize(1));
    }
    assertThat(res.find(Scale.joinOne(100, 10, "ZooKeeper"), "Curator LeaderLatch"))
        .hasValueSatisfying(r -> assertThat(r.values()).as(r.note()).hasSize(1));
  }

  @Test
  void handoffTargetSaysWhenHalfThePeersMedianIsBelowTheDeleteNotifyFloor() {
    Results res = new Results(false);
    String s = Handoff.scenario(Handoff.Mode.CLOSE, false, "ZooKeeper");
    res.add(Floors.ZK_NOTIFY, "ZooKeeper client", false, Unit.NANOS, new long[] {400_000, 400_000, 400_000}, "floor");
    res.add(s, "Elector", true, Unit.NANOS, new long[] {600_000, 600_000, 600_000}, "");
    res.add(s, "Curator LeaderLatch", false, Unit.NANOS, new long[] {700_000, 700_000, 700_000}, "");
    String other = Handoff.scenario(Handoff.Mode.RESIGN, false, "ZooKeeper");
    res.add(other, "Elector", true, Unit.NANOS, new long[] {1_000_000, 1_000_000}, "");
    res.add(other, "Curator LeaderLatch", false, Unit.NANOS, new long[] {4_000_000, 4_000_000}, "");

    Targets.evaluate(res, 1_000, 10_000);

    assertThat(res.elector(s)).hasValueSatisfying(r -> assertThat(r.note())
        .contains("1.5 × delete→notify floor 0.40 ms")
        .contains("bound: ½ × peer = 0.35 ms < delete→notify floor 0.40 ms"));
    assertThat(res.elector(other)).hasValueSatisfying(r -> assertThat(r.note())
        .contains("2.5 × delete→notify floor").doesNotContain("bound"));
  }

  @Test
  void percentilesComeFromTheRawValuesAndHandleNegativeMargins() {
    long[] v = new long[100];
    for (int i = 0; i < 100; i++) {
      v[i] = (i + 1) * 1_000_000L - 20_000_000L;
    }
    Row r = new Row("s", "who", true, Unit.NANOS, v, "");
    assertThat(r.min()).isEqualTo(-19_000_000L);
    assertThat(r.percentile(100)).isEqualTo(80_000_000d);
    assertThat(r.median()).isBetween(29_900_000d, 30_100_000d);
    assertThat(r.percentile(99)).isBetween(78_900_000d, 79_100_000d);
  }

  @Test
  void unknownOptionsAndGroupsAreRejectedByName() {
    assertThatThrownBy(() -> Options.parse("--fast")).hasMessageContaining("unknown option '--fast'");
    assertThatThrownBy(() -> Options.parse("--only", "handof")).hasMessageContaining("unknown group 'handof'");
    assertThat(Options.parse("--quick").docsChart()).isNull();
    assertThat(Options.parse().docsChart()).isEqualTo(Path.of("docs", "benchmarks.png"));
  }
}
