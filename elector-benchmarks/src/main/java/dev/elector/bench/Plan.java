package dev.elector.bench;

import java.time.Duration;
import java.util.Locale;

/**
 * What a run measures and how long each group may take. Every loop checks its group's budget before each step, and
 * no step waits more than about 10 s (a successor that never comes), so a run lasts at most {@link #total()} plus
 * one step per group: a loaded machine gets fewer samples, with a note on the row, rather than a longer run.
 *
 * <p>Full-run arithmetic on 2 cores (ms per measured step, from the pacing): a steady handoff costs the 20 ms settle
 * plus the handoff and the refill, about 25–30 ms, with six lanes per backend so that each lane's 150 ms of quiet
 * overlaps the others' steps: 3 contenders × 2 modes × 450 + 2 × 2 × 450 = 4,500 handoffs ≈ 130 s plus set-up. A
 * churn handoff costs the settle, the follower's join, its ticket's age (0–100 ms, 50 on average), the handoff
 * (jetcd's up to 100 ms more) and the clean-up, 90–140 ms: (3 + 2) × 2 × 150 handoffs ≈ 150 s.
 *
 * @param floors round trips, both delete→notify floors
 * @param steady all steady handoff variants, both backends
 * @param churn all churn handoff variants
 * @param failover crash failover and step-down, both servers side by side
 * @param herd herd, every contender
 * @param scale scale phases, each on servers of its own
 * @param setUp the shared servers starting and warming up, the lineups connecting, intervals and files (not a
 *     loop's budget: an estimate, so the total is honest); the handoff lanes' set-up is charged to their group
 */
record Plan(Duration floors, Duration steady, Duration churn, Duration failover, Duration herd, Duration scale,
    Duration setUp, int roundTrips, int hotNotify, int quietNotify, int fsync, int warmup, int steadyPerRep,
    int churnPerRep, int reps, int lanes, int failoverTrials, int herdCandidates, int herdSessions, int herdHandoffs,
    int zkWarmUpRounds) {

  static final int REPS = 3;

  static Plan of(Options.Mode mode) {
    return switch (mode) {
      case FULL -> new Plan(s(40), s(150), s(160), s(80), s(50), s(160), s(30), 2_000, 1_000, 300, 200, 3, 150, 50,
          REPS, 6, 20, 1_000, 50, 50, 3);
      case QUICK -> new Plan(s(6), s(14), s(12), s(12), s(10), s(30), s(10), 300, 300, 60, 50, 1, 8, 4, REPS, 6, 3,
          300, 10, 5, 1);
      // Smoke checks the harness, not the figures: the shared ZooKeeper server is not warmed up.
      case SMOKE -> new Plan(s(10), s(30), s(30), s(30), s(20), s(60), s(20), 20, 20, 6, 10, 0, 1, 1, REPS, 1, 1, 50,
          5, 3, 0);
    };
  }

  private static Duration s(long seconds) {
    return Duration.ofSeconds(seconds);
  }

  Duration total() {
    return floors.plus(steady).plus(churn).plus(failover).plus(herd).plus(scale).plus(setUp);
  }

  String describe() {
    return String.format(Locale.ROOT, "budget: floors %d s, steady handoffs %d s, churn handoffs %d s, failover %d s,"
        + " herd %d s, scale %d s, servers and set-up %d s: %d s in all; %d repetitions of %d steady and %d churn"
        + " handoffs per contender and variant (%d steady lanes per backend, %d ms quiet per lane, %d ms settle)",
        floors.toSeconds(), steady.toSeconds(), churn.toSeconds(), failover.toSeconds(), herd.toSeconds(),
        scale.toSeconds(), setUp.toSeconds(), total().toSeconds(), reps, steadyPerRep, churnPerRep, lanes,
        Pacer.QUIET.toMillis(), Pacer.SETTLE.toMillis());
  }
}
