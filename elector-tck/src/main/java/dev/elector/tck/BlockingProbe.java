package dev.elector.tck;

import dev.elector.EndReason;
import dev.elector.LeaderObserver;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Application code that blocks: listener callbacks, observers and continuations on the stages the API hands out that
 * each block for {@link #block} (longer than the client's operation timeout) and record the thread they ran on. The
 * kit runs handoffs and closes under it: whatever application code does, Elector must not be stalled by it, nor
 * leave a term valid after {@code close()} returned (SPEC rules 1.6, 2.2, 3.2).
 *
 * <p>Blocking code on the probe's own pool runs on threads named {@code tck-probe-<n>-…}; code given a direct
 * executor, and continuations, run wherever Elector runs them, which {@link #wrongThreads()} judges with
 * {@link ElectorThreads}. {@link #close()} releases every block at once, so a failed test never leaves Elector's
 * threads blocked behind it.
 */
final class BlockingProbe implements AutoCloseable {
  private static final AtomicInteger PROBES = new AtomicInteger();

  /** How long each piece of probe code blocks. */
  final Duration block;
  private final String poolPrefix = "tck-probe-" + PROBES.incrementAndGet() + "-";
  private final ExecutorService pool;
  private final CountDownLatch released = new CountDownLatch(1);
  private final long origin = System.nanoTime();
  private final List<Run> runs = new CopyOnWriteArrayList<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  /** Where probe code was attached, and so which threads it may run on. */
  enum Kind {
    /** A listener or observer callback on the probe's pool: must run there (rule 3.2). */
    POOL_CALLBACK,
    /** A callback given a direct executor: runs on whatever thread Elector hands it to, never a backend I/O one. */
    DIRECT_CALLBACK,
    /** A continuation on a stage Elector completes: never on Elector's engine or a backend I/O thread. */
    CONTINUATION
  }

  /** One run of probe code. */
  static final class Run {
    final String site;
    final Kind kind;
    final String thread = Thread.currentThread().getName();
    final long started = System.nanoTime();
    volatile long finished;

    Run(String site, Kind kind) {
      this.site = site;
      this.kind = kind;
    }
  }

  BlockingProbe(Duration block) {
    this.block = block;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, poolPrefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The application's multi-threaded executor. */
  Executor pool() {
    return pool;
  }

  /** A listener for {@link #pool()} whose {@code elected} and {@code revoked} block. */
  LeadershipListener blockingListener(String name) {
    return listener(name, Kind.POOL_CALLBACK, true);
  }

  /** A listener for a direct executor ({@code Runnable::run}) that only records where it ran. */
  LeadershipListener directListener(String name) {
    return listener(name, Kind.DIRECT_CALLBACK, false);
  }

  private LeadershipListener listener(String name, Kind kind, boolean blocks) {
    return new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        run(name + " elected", kind, null, blocks);
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {
        run(name + " revoked", kind, null, blocks);
      }
    };
  }

  /** An observer for {@link #pool()} that blocks, or for a direct executor that only records. */
  LeaderObserver observer(String name, boolean onPool) {
    return (Optional<Participant> leader) -> run(name + " leaderChanged", onPool ? Kind.POOL_CALLBACK
        : Kind.DIRECT_CALLBACK, null, onPool);
  }

  /**
   * Attaches a continuation to {@code stage} (whether it completes normally or not) that first runs {@code check}
   * (whose {@link AssertionError} message is kept as a failure), then blocks.
   */
  void attach(String site, CompletionStage<?> stage, Runnable check) {
    stage.whenComplete((v, e) -> run(site, Kind.CONTINUATION, check, true));
  }

  private void run(String site, Kind kind, Runnable check, boolean blocks) {
    Run r = new Run(site, kind);
    runs.add(r);
    try {
      if (check != null) {
        check.run();
      }
    } catch (AssertionError | RuntimeException e) {
      failures.add(String.valueOf(e.getMessage()));
    }
    if (blocks) {
      try {
        released.await(block.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    r.finished = System.nanoTime();
  }

  /** Whether probe code attached at {@code site} has started. */
  boolean ran(String site) {
    return runs.stream().anyMatch(r -> r.site.equals(site));
  }

  /** Whether every run so far has finished blocking. */
  boolean quiet() {
    return runs.stream().allMatch(r -> r.finished != 0);
  }

  /** Polls until the condition holds or {@code bound} passes; returns whether it held. */
  static boolean await(Duration bound, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** The messages of the checks that failed inside continuations. */
  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Every run on a thread its kind forbids (rule 3.2), described. */
  List<String> wrongThreads() {
    List<String> out = new ArrayList<>();
    for (Run r : runs) {
      Optional<String> why = switch (r.kind) {
        case POOL_CALLBACK -> r.thread.startsWith(poolPrefix) ? Optional.empty()
            : Optional.of("not the executor given at registration (" + poolPrefix + "…)");
        case DIRECT_CALLBACK -> ElectorThreads.backendIo(r.thread);
        case CONTINUATION -> ElectorThreads.forbidden(r.thread);
      };
      why.ifPresent(w -> out.add(r.site + " ran on '" + r.thread + "': " + w));
    }
    return out;
  }

  /** Every run: site, thread, start and how long it blocked, in ms since the probe began. */
  String describe() {
    StringBuilder b = new StringBuilder("  probe (each blocks " + block.toMillis() + " ms):");
    for (Run r : runs) {
      b.append(String.format("%n    %-34s on %-28s at %7.1f ms, %s", r.site, "'" + r.thread + "'",
          (r.started - origin) / 1e6, r.finished == 0 ? "still blocking" : String.format("blocked %.0f ms",
              (r.finished - r.started) / 1e6)));
    }
    return b.toString();
  }

  /** Releases every block and stops the pool. */
  @Override
  public void close() {
    released.countDown();
    pool.shutdownNow();
  }
}
