package dev.elector.spring;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.EndReason;
import dev.elector.LeaderTask;
import dev.elector.LeaderWork;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Subscription;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * reports the candidate stopped, however slow the listeners are.
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
  private LeaderWork work;
  private final List<Subscription> bound = new ArrayList<>();
  /** Publishes the events; one for the bean's life (restarts included), shut down by {@link #destroy()}. */
  private final ExecutorService events;
  /** The listener of the current candidate; null while stopped. */
  private Relay relay;
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
    this.events = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "elector-events-" + election + "-" + candidateId);
      t.setDaemon(true);
      return t;
    });
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

  @Override
  public synchronized void start() {
    if (candidate != null) {
      return;
    }
    // The previous run's candidate has left and its last events are out (stop waited for them): detach its
    // bindings before attaching the new ones, so restarts do not pile them up.
    unbind();
    relay = new Relay();
    Candidate c = client.election(election).candidate(candidateId).data(data).listener(events, relay).join();
    try {
      bindings.orderedStream().forEach(b -> bound.add(b.bind(c)));
      Map<String, LeaderTask> all = tasks.get();
      if (!all.isEmpty()) {
        LeaderWork.Builder b = LeaderWork.on(c).stopTimeout(jobStopTimeout);
        all.forEach(b::task);
        work = b.start();
      }
    } catch (RuntimeException | Error e) {
      // Nothing joined stays behind a failed start: leave, and detach what was attached.
      c.close();
      unbind();
      relay = null;
      throw e;
    }
    candidate = c;
  }

  private void unbind() {
    bound.forEach(Subscription::cancel);
    bound.clear();
  }

  /** The {@link LeaderWork} running the {@link LeaderTask} beans while the context runs; empty without such beans. */
  public Optional<LeaderWork> leaderWork() {
    return Optional.ofNullable(work);
  }

  /** Leaves and waits until left; Spring itself calls {@link #stop(Runnable)}. */
  @Override
  public void stop() {
    CountDownLatch left = new CountDownLatch(1);
    stop(left::countDown);
    try {
      left.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void stop(Runnable callback) {
    Candidate c = candidate;
    if (c == null) {
      callback.run();
      return;
    }
    candidate = null;
    Relay r = relay;
    relay = null;
    // Through LeaderWork, if any: its close waits for the whole-term tasks to stop.
    CompletionStage<Void> closed = work == null ? c.closeAsync() : work.closeAsync();
    work = null;
    // The context goes on stopping only once the last term's revoked event is published (see Relay).
    closed.whenComplete((v, x) -> events.execute(() -> r.afterLastRevoked(callback)));
  }

  /**
   * Detaches the bindings and stops the event thread, once the whole context has stopped: a candidate's last
   * callbacks may still be on their way when {@link Candidate#closeAsync()} completes, and the bindings must see
   * them.
   */
  @Override
  public synchronized void destroy() {
    unbind();
    events.shutdown();
  }

  /**
   * Publishes one candidate's events, and runs the stop callback once that candidate's last term is revoked.
   *
   * <p>Confined to the {@link #events} thread. When the candidate's close completes, its last {@code revoked} is
   * queued (SPEC rule 1.6), behind that term's {@code elected}, and the listener's queue has been handed to
   * {@link #events} already (a queued {@code revoked} starts it); so the task {@link #stop(Runnable)} submits then
   * runs after that {@code elected} has been published. If a term is open at that point, its {@code revoked} is still
   * to come, and the callback waits for it.
   */
  private final class Relay implements LeadershipListener {
    private boolean inTerm;
    private Runnable onLastRevoked;

    @Override
    public void elected(Leadership term) {
      inTerm = true;
      publisher.publishEvent(new LeadershipGrantedEvent(ElectorCandidate.this, term));
    }

    @Override
    public void revoked(Leadership term, EndReason reason) {
      inTerm = false;
      try {
        publisher.publishEvent(new LeadershipRevokedEvent(ElectorCandidate.this, term, reason));
      } finally {
        Runnable r = onLastRevoked;
        onLastRevoked = null;
        if (r != null) {
          r.run();
        }
      }
    }

    void afterLastRevoked(Runnable callback) {
      if (inTerm) {
        onLastRevoked = callback;
      } else {
        callback.run();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return candidate != null;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
