package dev.elector.spring;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.LeaderTask;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * This application's candidate in {@code elector.election}: it joins when the application context starts and leaves
 * when it stops, and publishes {@link LeadershipGrantedEvent} and {@link LeadershipRevokedEvent}.
 *
 * <p><b>Phase.</b> {@link #PHASE} is {@code DEFAULT_PHASE - 512}. Lifecycles start in ascending and stop in
 * descending phase order. Spring Boot starts the web server at {@code DEFAULT_PHASE - 2048} and begins its graceful
 * shutdown (it stops taking new requests and waits for those in flight) at {@code DEFAULT_PHASE - 1024}. So the
 * candidate joins only once the web server takes requests, and on shutdown it leaves, and its term has ended with
 * every leader-only job stopped, <em>before</em> the web server stops taking requests: while the next leader takes
 * over, this instance still answers, for example to say that it no longer leads. {@link #stop(Runnable)} is
 * asynchronous ({@link Candidate#closeAsync()}); Spring waits for it up to
 * {@code spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * <p><b>Whole-term tasks.</b> Every bean of type {@link LeaderTask} runs for the length of each term of this
 * candidate, through {@link LeaderWork} (task name: the bean's name): started on election, interrupted the moment the
 * term ends, and known stopped (or reported as an overrun after {@code elector.job-stop-timeout}) before this bean's
 * stop completes.
 *
 * <p>Events are published, in the order the candidate reported them, on one thread of this bean, never on the
 * client's own threads: a slow event listener delays later events but never the election. Every
 * {@link LeadershipGrantedEvent} is followed by its {@link LeadershipRevokedEvent} before {@link #stop(Runnable)}
 * reports the candidate stopped, however slow the listeners are. A stop requested while one is under way completes
 * with it. The event thread ends by itself when idle, so no event is ever refused.
 */
public class ElectorCandidate implements SmartLifecycle, DisposableBean {
  /** Joins after the web server starts; leaves before its graceful shutdown begins. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

  private final ElectionClient client;
  private final String election;
  private final String candidateId;
  private final String data;
  private final ApplicationEventPublisher publisher;
  private final ObjectProvider<CandidateBinding> bindings;
  private final Supplier<Map<String, LeaderTask>> tasks;
  private final Duration jobStopTimeout;
  /**
   * Publishes the events, one at a time in order. Never shut down: its one thread ends after a second idle and
   * comes back for the next event, so an event that arrives late (a stop Spring stopped waiting for) is still
   * published rather than refused.
   */
  private final ThreadPoolExecutor events;
  /** The run started and not yet asked to stop; guarded by this. */
  private CandidateRun run;
  /** The run being stopped, until its stop completes; guarded by this. */
  private CandidateRun stopping;
  /** {@code run}'s candidate, for readers on any thread. */
  private volatile Candidate candidate;

  public ElectorCandidate(ElectionClient client, String election, String candidateId, String data,
      ApplicationEventPublisher publisher, ObjectProvider<CandidateBinding> bindings,
      Supplier<Map<String, LeaderTask>> tasks, Duration jobStopTimeout) {
    this.client = client;
    this.election = election;
    this.candidateId = candidateId;
    this.data = data;
    this.publisher = publisher;
    this.bindings = bindings;
    this.tasks = tasks;
    this.jobStopTimeout = jobStopTimeout;
    this.events = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "elector-events-" + election + "-" + candidateId);
      t.setDaemon(true);
      return t;
    });
    events.allowCoreThreadTimeOut(true);
  }

  /** The election's name. */
  public String election() {
    return election;
  }

  /** The candidate's id. */
  public String candidateId() {
    return candidateId;
  }

  /** The candidate while the context runs; empty before it starts and after it stops. */
  public Optional<Candidate> candidate() {
    return Optional.ofNullable(candidate);
  }

  /** The term this instance holds now, if it is still valid. */
  public Optional<Leadership> validTerm() {
    Candidate c = candidate;
    return c == null ? Optional.empty() : c.leadership().filter(Leadership::isValid);
  }

  /** Whether this instance holds a valid term now. */
  public boolean isLeader() {
    return validTerm().isPresent();
  }

  /** Joins; a start that fails after joining leaves the election again and detaches what it attached. */
  @Override
  public synchronized void start() {
    if (run != null) {
      return;
    }
    CandidateRun r = new CandidateRun(this, publisher::publishEvent);
    Candidate c = client.election(election).candidate(candidateId).data(data).listener(events, r).join();
    try {
      Map<String, LeaderTask> all = tasks.get();
      LeaderWork.Builder work = null;
      if (!all.isEmpty()) {
        work = LeaderWork.on(c).stopTimeout(jobStopTimeout);
        all.forEach(work::task);
      }
      r.attach(c, bindings.orderedStream().toList(), work);
    } catch (RuntimeException | Error e) {
      try {
        c.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing);
      } finally {
        r.unbind();
      }
      throw e;
    }
    CandidateRun previous = stopping;
    if (previous != null) {
      // Its bindings go once its last events are out, so they see them.
      previous.stopped().whenComplete((v, x) -> previous.unbind());
    }
    run = r;
    candidate = c;
  }

  /** The {@link LeaderWork} running the {@link LeaderTask} beans while the context runs; empty without such beans. */
  public Optional<LeaderWork> leaderWork() {
    CandidateRun r;
    synchronized (this) {
      r = run;
    }
    return r == null ? Optional.empty() : Optional.ofNullable(r.work());
  }

  /**
   * Leaves, and waits until left (see {@link #stop(Runnable)}) for at most the client's operation timeout plus
   * {@code elector.job-stop-timeout}; Spring itself calls {@link #stop(Runnable)}.
   *
   * @throws IllegalStateException if the candidate has not stopped by then (a whole-term task or an event listener
   *     that does not return)
   */
  @Override
  public void stop() {
    CountDownLatch left = new CountDownLatch(1);
    stop(left::countDown);
    Duration bound = client.config().operationTimeout().plus(jobStopTimeout);
    try {
      if (!left.await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("candidate '" + candidateId + "' in election '" + election
            + "' did not stop within " + bound + " (operation timeout + elector.job-stop-timeout)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Leaves: {@code callback} runs once the candidate has left, every whole-term task has stopped (or been reported
   * as an overrun) and the last term's revoked event has been published. A stop asked for while one is under way
   * runs its callback when that one completes.
   */
  @Override
  public void stop(Runnable callback) {
    CandidateRun r;
    CandidateRun pending;
    synchronized (this) {
      r = run;
      pending = stopping;
      if (r != null) {
        run = null;
        candidate = null;
        stopping = r;
        pending = r;
      }
    }
    if (r != null) {
      r.stop(events);
    }
    if (pending == null) {
      callback.run();
    } else {
      pending.stopped().whenComplete((v, x) -> callback.run());
    }
  }

  /**
   * Detaches the bindings once the whole context has stopped: a candidate's last callbacks may still be on their
   * way when {@link Candidate#closeAsync()} completes, and the bindings must see them. A stop still under way (one
   * Spring stopped waiting for) detaches them when it completes.
   */
  @Override
  public synchronized void destroy() {
    if (run != null) {
      run.unbind(); // never stopped (a failed refresh): nothing more will come that a binding must see
    }
    CandidateRun s = stopping;
    if (s != null) {
      s.stopped().whenComplete((v, x) -> s.unbind());
    }
  }

  /** Running from a start until the stop that follows has completed. */
  @Override
  public synchronized boolean isRunning() {
    return run != null || (stopping != null && !stopping.stopped().isDone());
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
