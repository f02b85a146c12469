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
    Results res = BenchMain.run(Options.parse("--smoke", "--only", "floors,handoff,herd", "--out", out.toString()));

    List<Row> rows = res.rows();
    assertThat(rows).extracting(Row::scenario)
        .contains(Floors.ZK_READ, Floors.ZK_WRITE, Floors.ETCD_READ, Floors.ETCD_WRITE, Floors.FSYNC);
    for (String floor : List.of(Floors.ZK_NOTIFY, Floors.ETCD_NOTIFY, Floors.ZK_NOTIFY_QUIET,
        Floors.ETCD_NOTIFY_QUIET)) {
      assertThat(rows).filteredOn(r -> r.scenario().equals(floor)).singleElement()
          .satisfies(r -> assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L));
    }
    String steadyZk = Handoff.scenario(Handoff.Mode.CLOSE, false, "ZooKeeper");
    String steadyEtcd = Handoff.scenario(Handoff.Mode.CLOSE, false, "etcd");
    for (String who : List.of("Elector", "Curator LeaderLatch", "Curator LeaderSelector")) {
      assertThat(res.find(steadyZk, who)).as(who + " on ZooKeeper").hasValueSatisfying(r -> {
        assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L);
        // Interleaved in three repetitions, each with fresh sessions: every repetition contributed.
        assertThat(r.repetitions()).as(r.note()).isEqualTo(Plan.REPS);
      });
    }
    for (String who : List.of("Elector", "jetcd Election")) {
      assertThat(res.find(steadyEtcd, who)).as(who + " on etcd").hasValueSatisfying(r -> {
        assertThat(r.values()).as(r.note()).isNotEmpty().doesNotContain(0L);
        assertThat(r.repetitions()).as(r.note()).isEqualTo(Plan.REPS);
      });
    }
    assertThat(res.ratio(res.find(steadyEtcd, "jetcd Election").orElseThrow())).isNotNull();
    // Churn: every handoff carries the age its successor's ticket had when the leader acted, within 0-100 ms.
    for (String backend : List.of("ZooKeeper", "etcd")) {
      String churn = Handoff.scenario(Handoff.Mode.CLOSE, true, backend);
      assertThat(rows).filteredOn(r -> r.scenario().equals(churn)).hasSize(backend.equals("etcd") ? 2 : 3)
          .allSatisfy(r -> {
            assertThat(r.values()).as(r.who() + ": " + r.note()).isNotEmpty();
            assertThat(r.ages()).hasSameSizeAs(r.values());
            assertThat(java.util.Arrays.stream(r.ages()).min().orElse(0)).isNotNegative();
          });
    }
    // Herd on both backends, LeaderSelector included, with the ZooKeeper server's read count.
    for (String who : List.of("Elector", "Curator LeaderLatch", "Curator LeaderSelector")) {
      assertThat(res.find(Herd.name(Herd.OTHERS, 50, 5), who)).as(who).hasValueSatisfying(
          r -> assertThat(r.values()).as(r.note()).isNotEmpty());
      assertThat(res.find(Herd.name(Herd.ZK_READS, 50, 5), who)).as(who).hasValueSatisfying(
          r -> assertThat(r.values()).as(r.note()).isNotEmpty());
    }
    for (String who : List.of("Elector", "jetcd Election")) {
      assertThat(res.find(Herd.name(Herd.ETCD_EVENTS, 50, 5), who)).as(who).hasValueSatisfying(
          r -> assertThat(r.values()).as(r.note()).isNotEmpty());
    }
    assertThat(Files.readAllLines(out.resolve("raw.csv")).size()).isGreaterThan(rows.size());
    assertThat(Files.readAllLines(out.resolve("summary.csv"))).hasSize(rows.size() + 1);
    assertThat(Files.readString(out.resolve("run.txt"))).contains("benchmark JVM flags").contains("floors")
        .contains("load").contains("ZooKeeper CPU").contains("etcd CPU");
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
  void steadyHandoffsAreComparedWithTheQuietFloorAndChurnWithTheHotOne() {
    Results res = new Results(false);
    String steady = Handoff.scenario(Handoff.Mode.CLOSE, false, "ZooKeeper");
    String churn = Handoff.scenario(Handoff.Mode.CLOSE, true, "ZooKeeper");
    res.add(Floors.ZK_NOTIFY, "ZooKeeper client", false, Unit.NANOS, new long[] {400_000, 400_000, 400_000}, "floor");
    res.add(Floors.ZK_NOTIFY_QUIET, "ZooKeeper client", false, Unit.NANOS, new long[] {800_000, 800_000, 800_000},
        "floor");
    res.add(steady, "Elector", true, Unit.NANOS, new long[] {1_200_000, 1_200_000, 1_200_000}, "");
    res.add(steady, "Curator LeaderLatch", false, Unit.NANOS, new long[] {1_400_000, 1_400_000, 1_400_000}, "");
    res.add(churn, "Elector", true, Unit.NANOS, new long[] {600_000, 600_000}, "");
    res.add(churn, "Curator LeaderLatch", false, Unit.NANOS, new long[] {700_000, 700_000}, "");

    Targets.evaluate(res, 1_000, 10_000);

    assertThat(res.elector(steady)).hasValueSatisfying(r -> assertThat(r.note())
        .contains("1.5 [1.5, 1.5] × quiet delete→notify floor 0.80 ms"));
    assertThat(res.elector(churn)).hasValueSatisfying(r -> assertThat(r.note())
        .contains("1.5 [1.5, 1.5] × hot delete→notify floor 0.40 ms"));
    assertThat(res.targets()).anySatisfy(t -> assertThat(t).startsWith("MISSED").contains("1/2 Curator LeaderLatch")
        .contains(steady).contains("bound: ½ × peer = 0.70 ms < quiet delete→notify floor 0.80 ms"));
    assertThat(res.targets()).anySatisfy(t -> assertThat(t).startsWith("MET").contains("[15] handoff p50 <= 2x hot")
        .contains(churn));
  }

  @Test
  void aVerdictNeedsTheWholeIntervalOnOneSideOfTheLimit() {
    Results res = new Results(false);
    String s = Handoff.scenario(Handoff.Mode.CLOSE, false, "etcd");
    // Elector's median sits at 0.6 × the peer's, but its values spread widely across the limit: undecided.
    long[] el = new long[60];
    long[] peer = new long[60];
    int[] reps = new int[60];
    for (int i = 0; i < 60; i++) {
      el[i] = 300_000 + (i * 7919L % 60) * 10_000;
      peer[i] = 1_000_000;
      reps[i] = i % 3;
    }
    res.add(new Row(s, "Elector", true, Unit.NANOS, el, reps, null, ""));
    res.add(new Row(s, "jetcd Election", false, Unit.NANOS, peer, reps, null, ""));

    Targets.evaluate(res, 1_000, 10_000);

    Bootstrap.Interval r = res.ratio(res.find(s, "jetcd Election").orElseThrow());
    assertThat(r.lo()).isLessThan(Targets.FASTEST_PEER);
    assertThat(r.hi()).isGreaterThan(Targets.FASTEST_PEER);
    assertThat(res.targets()).anySatisfy(t -> assertThat(t).startsWith("UNDECIDED")
        .contains("[15] steady handoff p50 <= 0.6 x fastest peer").contains(s));
  }

  @Test
  void bootstrapResamplesWithinEachRepetitionAndIsSeeded() {
    // Repetition 0 holds only 1s, repetition 1 only 100s: a stratified resample always keeps half of each, so the
    // median stays 1 (nearest rank), and the interval is a point; an unstratified one would wander.
    long[] v = {1, 1, 1, 100, 100, 100};
    int[] reps = {0, 0, 0, 1, 1, 1};
    Bootstrap.Strata s = Bootstrap.Strata.of(v, reps);
    Bootstrap.Interval i = Bootstrap.quantile(s, 0.5, 42);
    assertThat(i.lo()).isEqualTo(1);
    assertThat(i.hi()).isEqualTo(1);
    Bootstrap.Interval a = Bootstrap.ratio(s, Bootstrap.Strata.of(new long[] {2, 3, 4}, new int[3]), 0.9, 1, 7);
    Bootstrap.Interval b = Bootstrap.ratio(s, Bootstrap.Strata.of(new long[] {2, 3, 4}, new int[3]), 0.9, 1, 7);
    assertThat(a).isEqualTo(b);
    assertThat(new Bootstrap.Interval(1, 0.4, 0.49).atMost(0.5)).isEqualTo(Bootstrap.Verdict.MET);
    assertThat(new Bootstrap.Interval(1, 0.51, 0.7).atMost(0.5)).isEqualTo(Bootstrap.Verdict.MISSED);
    assertThat(new Bootstrap.Interval(1, 0.4, 0.6).atMost(0.5)).isEqualTo(Bootstrap.Verdict.UNDECIDED);
  }

  @Test
  void churnAgesFallIntoQuarterBuckets() {
    long ms = 1_000_000;
    Row r = new Row("handoff close churn · etcd", "Elector", true, Unit.NANOS, new long[] {1, 2, 3, 4, 5},
        new int[] {0, 0, 1, 1, 2}, new long[] {0, 24 * ms, 25 * ms, 99 * ms, 100 * ms}, "");
    long[][] b = Results.ageBuckets(r);
    assertThat(b[0]).containsExactly(1, 2);
    assertThat(b[1]).containsExactly(3);
    assertThat(b[2]).isEmpty();
    assertThat(b[3]).containsExactly(4, 5);
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
