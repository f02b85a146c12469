package dev.elector;

import dev.elector.internal.Checks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Leader-only work: tasks that run for the length of each term of one candidate, and never outside one.
 *
 * <pre>{@code
 * Candidate candidate = client.election("reports").join("node-1");
 * LeaderWork work = LeaderWork.on(candidate)
 *     .task("consume", term -> consumeQueue(term))                          // once per term, until it ends
 *     .every("sweep", Duration.ofSeconds(30), term -> sweep(term.token()))  // every 30 s while leading
 *     .start();
 * ...
 * work.close(); // the tasks have stopped, then the candidate is closed
 * }</pre>
 *
 * <p>For each term, and each task, a fresh daemon thread is started when {@code elected} is delivered, and runs the
 * task if the term is still valid. The thread is interrupted the moment the term ends, whatever the reason: an event
 * ({@link Leadership#ended()}, {@code revoked}) or the term's deadline ({@link Leadership#validUntilNanos()}) passing
 * with no event at all, which is checked on a timer. A periodic task ({@link Builder#every}) is run again only if the
 * term is still valid just before the run, so no run starts after the term ended; runs that fall behind are skipped.
 * A check and an action are never atomic: pass {@link Leadership#token()} to the resource acted on.
 *
 * <p>{@link #resign()} and {@link #close()} complete only once the tasks of the term held at the call have returned
 * (SPEC rule 1.6). A task that ignores interruption cannot be stopped by any library: after {@code stopTimeout} it is
 * reported (a warning on the {@code dev.elector} logger, the {@code onOverrun} callback, {@link #overruns()}),
 * {@code resign}/{@code close} fail with {@link ElectorTimeoutException} naming it, and its thread is kept track of,
 * not abandoned: the next term's run of that task waits for it to return.
 *
 * <p>Curator's {@code LeaderSelector.takeLeadership} is the model; unlike it, the end of a term does not wait for the
 * task to return, and an unresponsive task is named rather than silently keeping its thread.
 */
public final class LeaderWork implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.elector");

  private record Spec(String name, Duration period, LeaderTask task) {}

  private final Candidate candidate;
  private final List<Spec> specs;
  private final Duration stopTimeout;
  private final Consumer<WorkOverrun> onOverrun;
  private final ScheduledThreadPoolExecutor timer;
  private final Subscription subscription;
  /** Guarded by this: the latest run of each task, and every run whose task has not returned. */
  private final Map<String, TermRun> latest = new HashMap<>();
  private final Set<TermRun> live = new LinkedHashSet<>();
  private final Set<TermRun> overrunning = ConcurrentHashMap.newKeySet();
  private boolean closed;

  private LeaderWork(BuilderImpl b) {
    this.candidate = b.candidate;
    this.specs = List.copyOf(b.specs.values());
    this.stopTimeout = b.stopTimeout;
    this.onOverrun = b.onOverrun;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "elector-work-timer-" + candidate.election() + "-" + candidate.id());
      t.setDaemon(true);
      return t;
    });
    timer.setKeepAliveTime(1, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true);
    timer.setRemoveOnCancelPolicy(true);
    // Once closed, close() itself stops and reports every run; pending checks must not keep the timer thread alive.
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.subscription = candidate.addListener(timer, new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        LeaderWork.this.elected(term);
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {
        stopTerm(term);
      }
    });
  }

  /** Starts describing the leader-only work of {@code candidate}. */
  public static Builder on(Candidate candidate) {
    return new BuilderImpl(Objects.requireNonNull(candidate, "candidate"));
  }

  /** The candidate whose terms the work follows. */
  public Candidate candidate() {
    return candidate;
  }

  /** Tasks still running after their term ended and {@code stopTimeout} passed: they ignore interruption. */
  public List<WorkOverrun> overruns() {
    return overrunning.stream().map(TermRun::overrun).toList();
  }

  /**
   * {@link Candidate#resign()}, completing once the tasks of the term held at the call have returned as well; fails
   * with {@link ElectorTimeoutException} naming a task still running {@code stopTimeout} after the term ended.
   */
  public CompletionStage<Void> resign() {
    List<TermRun> held = runs();
    stopCallersRun(held);
    Thread caller = Thread.currentThread();
    return candidate.resign().thenCompose(v -> awaitStopped(held, "resign", caller));
  }

  /**
   * Stops the work and closes the candidate: the stage completes once the candidate is closed (SPEC rule 1.6) and
   * every task has returned; fails with {@link ElectorTimeoutException} naming a task still running
   * {@code stopTimeout} after its term ended. Idempotent.
   */
  public CompletionStage<Void> closeAsync() {
    beginClose();
    Thread caller = Thread.currentThread();
    return candidate.closeAsync()
        .handle((v, e) -> null)
        .thenCompose(v -> awaitStopped(runs(), "close", caller))
        .whenComplete((v, e) -> endClose());
  }

  /** {@link #closeAsync()}, waiting for the candidate as {@link Candidate#close()} does, then for the tasks. */
  @Override
  public void close() {
    beginClose();
    candidate.close();
    try {
      awaitStopped(runs(), "close", Thread.currentThread()).toCompletableFuture().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof ElectorException x ? x : e;
    } finally {
      endClose();
    }
  }

  /** No term starts runs from now on; a task closing its own work stops its own run first. */
  private void beginClose() {
    synchronized (this) {
      closed = true;
    }
    stopCallersRun(runs());
  }

  /** Once every run has been awaited: no more events, and the timer's thread ends. */
  private void endClose() {
    subscription.cancel();
    timer.shutdown();
  }

  /**
   * A task that resigns or closes stops its own run first, so the end of the term does not interrupt the thread
   * that waits for that end.
   */
  private static void stopCallersRun(List<TermRun> runs) {
    runs.stream().filter(r -> r.runsOn(Thread.currentThread())).forEach(TermRun::stop);
  }

  private synchronized List<TermRun> runs() {
    return new ArrayList<>(live);
  }

  private void elected(Leadership term) {
    List<TermRun> started = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      for (Spec s : specs) {
        TermRun r = new TermRun(term, s.name(), s.task(), s.period(), latest.get(s.name()));
        latest.put(s.name(), r);
        live.add(r);
        started.add(r);
      }
    }
    for (TermRun r : started) {
      r.stopped().whenComplete((v, e) -> finished(r));
      r.start();
    }
    try {
      term.ended().whenCompleteAsync((reason, e) -> stopTerm(term), timer);
    } catch (RejectedExecutionException e) {
      return; // closed meanwhile: close() stops every run
    }
    watchDeadline(term);
  }

  /** Stops the term's runs once its deadline passes with no event; re-arms while renewals move the deadline on. */
  private void watchDeadline(Leadership term) {
    if (!term.isValid()) {
      stopTerm(term);
      return;
    }
    if (runs().stream().noneMatch(r -> r.term() == term && !r.isStopping())) {
      return;
    }
    long delay = Math.max(term.validUntilNanos() - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(1));
    schedule(() -> watchDeadline(term), delay);
  }

  private void stopTerm(Leadership term) {
    for (TermRun r : runs()) {
      if (r.term() == term) {
        stop(r);
      }
    }
  }

  private void stop(TermRun r) {
    if (r.isStopping()) {
      return;
    }
    r.stop();
    schedule(() -> reportIfRunning(r), stopTimeout.toNanos());
  }

  /**
   * Reports {@code r} once if it is still running: a warning, the {@code onOverrun} callback, {@link #overruns()}.
   * The stage completes when that report is done, whichever thread made it, so a caller failing because of the
   * overrun fails only after the application has been told.
   */
  private CompletableFuture<Void> reportIfRunning(TermRun r) {
    if (r.stopped().isDone() || !r.claimReport()) {
      return r.reported();
    }
    try {
      overrunning.add(r);
      WorkOverrun o = r.overrun();
      Throwable where = new Throwable("stack of " + o.thread());
      where.setStackTrace(o.stack());
      LOG.log(System.Logger.Level.WARNING, "Leader-only " + o + "; it ignores interruption. Its next run waits for"
          + " it; whatever it does now is done without a valid term, so only a fencing token can reject it.", where);
      try {
        onOverrun.accept(o);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "onOverrun callback failed", e);
      }
    } finally {
      r.reported().complete(null);
    }
    if (r.stopped().isDone()) {
      overrunning.remove(r); // returned while being reported: finished() may have looked before the add
    }
    return r.reported();
  }

  private void finished(TermRun r) {
    synchronized (this) {
      live.remove(r);
    }
    if (overrunning.remove(r)) {
      LOG.log(System.Logger.Level.WARNING, "Leader-only task ''{0}'' of candidate ''{1}'' (term {2}) returned at last,"
          + " {3} ms after its term ended", r.taskName(), r.term().candidateId(), r.term().token(),
          r.overdue().toMillis());
    }
  }

  /**
   * Stops {@code runs} and completes when each has returned, or fails with {@link ElectorTimeoutException} once
   * {@code stopTimeout} passed and the runs still going are reported. A run on the calling thread (a task that
   * resigns or closes) is stopped but not awaited: it cannot return while it waits for itself. The stage completes on
   * this work's timer thread (or the caller's, once closed), never on a task's thread or a JDK-internal one.
   */
  private CompletionStage<Void> awaitStopped(List<TermRun> runs, String call, Thread caller) {
    runs.forEach(this::stop);
    List<TermRun> awaited = runs.stream().filter(r -> !r.runsOn(caller)).toList();
    CompletableFuture<Void> all = CompletableFuture.allOf(awaited.stream().map(TermRun::stopped)
        .toArray(CompletableFuture[]::new));
    // Only a trigger: what follows hops to the timer thread. (The timer itself may shut down meanwhile, dropping it.)
    return all.completeOnTimeout(null, stopTimeout.toMillis(), TimeUnit.MILLISECONDS).thenComposeAsync(v -> {
      List<TermRun> running = awaited.stream().filter(r -> !r.stopped().isDone()).toList();
      if (running.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      return CompletableFuture.allOf(running.stream().map(this::reportIfRunning).toArray(CompletableFuture[]::new))
          .thenRun(() -> {
            throw new ElectorTimeoutException(call + "() of candidate '" + candidate.id() + "' in election '"
                + candidate.election() + "': leader-only work ignores interruption and was still running "
                + stopTimeout.toMillis() + " ms after its term ended: "
                + running.stream().map(TermRun::taskName).toList(), stopTimeout);
          });
    }, this::onTimer);
  }

  /** Runs {@code r} on the timer thread, or here once the timer is shut down (closed). */
  private void onTimer(Runnable r) {
    try {
      timer.execute(r);
    } catch (RejectedExecutionException e) {
      r.run();
    }
  }

  private void schedule(Runnable r, long delayNanos) {
    try {
      timer.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed: close() stops and reports every run itself
    }
  }

  /** Describes leader-only work; {@link #start()} subscribes to the candidate. */
  public interface Builder {
    /** A task run once per term, from {@code elected} until it returns or the term ends. Names are unique. */
    Builder task(String name, LeaderTask task);

    /**
     * A task run every {@code period} while the candidate leads (fixed rate, first run at {@code elected}); each
     * run only if the term is still valid just before it, runs that fall behind are skipped, and a run that throws
     * is logged and followed by the next.
     */
    Builder every(String name, Duration period, LeaderTask task);

    /**
     * How long {@code resign()}/{@code close()} wait for a task to return after its term ended, and after which a
     * task still running is reported as a {@link WorkOverrun}. Default 5 seconds.
     */
    Builder stopTimeout(Duration timeout);

    /**
     * Called once for each task reported as overrunning its term, on this work's timer thread (never a backend's or
     * a task's, and with no lock held); it must not block, as later reports and deadline checks wait for it.
     * {@code resign()}/{@code close()} fail for an overrun only after its callback has returned.
     */
    Builder onOverrun(Consumer<WorkOverrun> callback);

    /**
     * Validates, then subscribes to the candidate; a term it holds now starts the tasks at once.
     *
     * @throws InvalidInputException if no task was given
     */
    LeaderWork start();
  }

  private static final class BuilderImpl implements Builder {
    private final Candidate candidate;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private Duration stopTimeout = Duration.ofSeconds(5);
    private Consumer<WorkOverrun> onOverrun = o -> { };

    BuilderImpl(Candidate candidate) {
      this.candidate = candidate;
    }

    @Override
    public Builder task(String name, LeaderTask task) {
      return add(name, null, task);
    }

    @Override
    public Builder every(String name, Duration period, LeaderTask task) {
      return add(name, Checks.positive("period of task '" + name + "'", period), task);
    }

    private Builder add(String name, Duration period, LeaderTask task) {
      if (name == null || name.isBlank()) {
        throw new InvalidInputException("task name", name, "must be non-blank");
      }
      if (specs.containsKey(name)) {
        throw new InvalidInputException("task name", name, "must be unique within one LeaderWork");
      }
      specs.put(name, new Spec(name, period, Objects.requireNonNull(task, "task")));
      return this;
    }

    @Override
    public Builder stopTimeout(Duration timeout) {
      this.stopTimeout = InputRules.checkStopTimeout(timeout);
      return this;
    }

    @Override
    public Builder onOverrun(Consumer<WorkOverrun> callback) {
      this.onOverrun = Objects.requireNonNull(callback, "callback");
      return this;
    }

    @Override
    public LeaderWork start() {
      if (specs.isEmpty()) {
        throw new InvalidInputException("leader work of candidate", candidate.id(),
            "needs at least one task (task() or every())");
      }
      return new LeaderWork(this);
    }
  }
}
