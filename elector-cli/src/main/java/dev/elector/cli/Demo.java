package dev.elector.cli;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.SessionState;
import dev.elector.faultproxy.FaultProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The demo's script: candidates each on their own session, rounds that alternate a resign with a crash, a timeline
 * printed from the candidates' own callbacks, and a check that no two terms were ever valid at once.
 */
final class Demo implements AutoCloseable {
  /** How often every candidate's term is sampled to catch two valid terms at once. */
  private static final Duration SAMPLE_PERIOD = Duration.ofMillis(2);
  private static final Duration PAUSE_BETWEEN_ROUNDS = Duration.ofMillis(400);

  private final ClientConfig config;
  private final int size;
  private final int rounds;
  private final Timeline timeline;
  private final String election = "demo-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24));
  private final boolean canCut;

  /** Every callback of every candidate runs here, so the timeline shows them in the order they were delivered. */
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(Threads.daemon("elector-demo-events"));
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(Threads.daemon("elector-demo-sampler"));
  private final BlockingQueue<Term> elected = new LinkedBlockingQueue<>();
  private final List<Member> members = new ArrayList<>();
  private final List<Long> tokens = new CopyOnWriteArrayList<>();
  private final List<String> handoffs = new CopyOnWriteArrayList<>();
  private final List<String> failovers = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> overlap = new AtomicReference<>();
  private volatile long actionNanos;
  private ElectionClient observer;

  private record Term(Member member, Leadership term) {}

  Demo(ClientConfig config, int size, int rounds, Timeline timeline) {
    this.config = config;
    this.size = size;
    this.rounds = rounds;
    this.timeline = timeline;
    this.canCut = !config.scheme().equals("mem")
        && config.endpoints().stream().allMatch(e -> e.matches(".+:\\d{1,5}"));
  }

  /** One candidate with its own session, reached through its own cuttable proxies. */
  private final class Member implements LeadershipListener {
    final String id;
    final List<FaultProxy> proxies = new ArrayList<>();
    ElectionClient client;
    Candidate candidate;
    volatile boolean watched;
    volatile SessionState session = SessionState.CONNECTED;

    Member(String id) {
      this.id = id;
    }

    void connect() throws IOException, InterruptedException {
      ClientConfig own = config;
      if (canCut) {
        List<String> via = new ArrayList<>();
        for (String endpoint : config.endpoints()) {
          FaultProxy p = FaultProxy.start(endpoint);
          proxies.add(p);
          via.add(p.endpoint());
        }
        own = config.toBuilder().endpoints(via).build();
      }
      client = Elections.connect(own);
      client.addSessionListener(callbacks, this::sessionChanged);
      candidate = client.election(election).candidate(id).data(id + ".example.net:8080").listener(callbacks, this)
          .join();
      // Joins are asynchronous; waiting for the ticket keeps the line in the order c1, c2, … for the reader.
      long deadline = System.nanoTime() + config.operationTimeout().toNanos();
      while (candidate.state() == CandidateState.JOINING && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    }

    private void sessionChanged(SessionState state, long sessionId) {
      SessionState before = session;
      session = state;
      if (!watched || state == before || quiet) {
        return;
      }
      switch (state) {
        case SUSPENDED -> timeline.event("  " + id + " hears nothing from the service: session suspended");
        case EXPIRED -> timeline.event("  " + id + " is told its session expired; it will rejoin at the back");
        case CONNECTED -> timeline.event("  " + id + " is back with session 0x" + Long.toHexString(sessionId));
        default -> { }
      }
    }

    @Override
    public void elected(Leadership term) {
      if (quiet) {
        return;
      }
      String how = "";
      long since = System.nanoTime() - actionNanos;
      if (actionNanos != 0) {
        how = "   (" + Timeline.millis(since) + " after the " + (lastActionWasCrash ? "crash" : "resign") + ")";
        (lastActionWasCrash ? failovers : handoffs).add(Timeline.millis(since));
        actionNanos = 0;
      }
      timeline.event("* " + id + " leads with token " + term.token() + how);
      tokens.add(term.token());
      elected.add(new Term(this, term));
    }

    @Override
    public void revoked(Leadership term, EndReason reason) {
      if (quiet) {
        return;
      }
      timeline.event("  " + id + " steps down: " + describe(reason));
    }

    void cut() {
      watched = true;
      proxies.forEach(FaultProxy::partition);
    }

    void heal() {
      // Connections that lost their session are closed, so the client reconnects afresh rather than resuming them.
      proxies.forEach(p -> {
        p.dropConnections();
        p.heal();
      });
    }

    void close() {
      if (client != null) {
        client.close();
      }
      proxies.forEach(FaultProxy::close);
    }
  }

  private volatile boolean lastActionWasCrash;
  /** Set once the story is told: the handoffs caused by shutting the candidates down are not part of it. */
  private volatile boolean quiet;

  int run() throws Exception {
    Duration session = config.sessionTimeout();
    Duration patience = session.multipliedBy(3).plusSeconds(10);
    observer = Elections.connect(config);
    for (int i = 1; i <= size; i++) {
      members.add(new Member("c" + i));
    }
    timeline.event(members.stream().map(m -> m.id).collect(Collectors.joining(" "))
        + " join election '" + election + "', each with its own session");
    for (Member m : members) {
      m.connect();
    }
    sampler.scheduleAtFixedRate(this::sample, 0, SAMPLE_PERIOD.toNanos(), TimeUnit.NANOSECONDS);
    Term current = nextLeader(Long.MIN_VALUE, patience);
    printLine();
    for (int r = 1; r <= rounds; r++) {
      pause();
      current = leaderNow(current, patience);
      Member leader = current.member();
      boolean crash = canCut && r % 2 == 0;
      lastActionWasCrash = crash;
      if (crash) {
        timeline.heading("-- round " + r + "/" + rounds + ": " + leader.id + " crashes. Its network is cut: the "
            + "service must wait out its " + DurationConverter.format(session) + " session timeout");
        actionNanos = System.nanoTime();
        leader.cut();
        timeline.event("x " + leader.id + " is cut off: no packets reach or leave it");
      } else {
        timeline.heading("-- round " + r + "/" + rounds + ": " + leader.id + " resigns: a planned handoff");
        actionNanos = System.nanoTime();
        leader.candidate.resign();
      }
      current = nextLeader(current.term().token(), patience);
      if (crash) {
        leader.heal();
        timeline.event("  " + leader.id + "'s network is back");
      }
      awaitFullLine(patience);
      leader.watched = false;
      printLine();
    }
    summary();
    return overlap.get() == null ? 0 : Main.EXIT_FAILURE;
  }

  private Term nextLeader(long after, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      Term t = elected.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (t == null) {
        throw new Failure(Main.EXIT_FAILURE, "no new leader within " + DurationConverter.format(patience)
            + "; the backend may be down");
      }
      if (t.term().token() > after) {
        return t;
      }
    }
  }

  /** The leader to act on: the current term if still valid, else the next one elected. */
  private Term leaderNow(Term current, Duration patience) throws InterruptedException {
    Term latest = current;
    for (Term t; (t = elected.poll()) != null; ) {
      latest = t;
    }
    return latest.term().isValid() ? latest : nextLeader(latest.term().token(), patience);
  }

  private void awaitFullLine(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (System.nanoTime() < deadline) {
      if (line().size() >= size) {
        return;
      }
      Thread.sleep(50);
    }
    throw new Failure(Main.EXIT_FAILURE, "the last leader did not rejoin the line within "
        + DurationConverter.format(patience));
  }

  private List<Participant> line() throws InterruptedException {
    return Stages.await(observer.election(election).participants(), config.operationTimeout(), "reading the line");
  }

  private void printLine() throws InterruptedException {
    List<Participant> line = line();
    timeline.note("line: " + line.stream().map(Participant::candidateId).collect(Collectors.joining(" "))
        + "   (leader first; the rest wait in this order)");
  }

  private void pause() throws InterruptedException {
    Thread.sleep(PAUSE_BETWEEN_ROUNDS.toMillis());
  }

  /**
   * Reads every candidate's term twice, in order. Reads are not simultaneous, so a candidate seen leading in one
   * read and another seen leading in a later read may simply have handed over in between. A term is valid over one
   * unbroken interval, though: a candidate that holds the same term in both passes led during every read between
   * its two, so any other candidate leading in one of those reads is a real overlap.
   */
  private void sample() {
    int n = members.size();
    List<Optional<Leadership>> first = new ArrayList<>(n);
    List<Optional<Leadership>> second = new ArrayList<>(n);
    for (Member m : members) {
      first.add(m.candidate == null ? Optional.empty() : m.candidate.leadership());
    }
    for (Member m : members) {
      second.add(m.candidate == null ? Optional.empty() : m.candidate.leadership());
    }
    overlap(first, second).ifPresent(pair -> overlap.compareAndSet(null, String.format(Locale.ROOT,
        "%s and %s at %.3fs", members.get(pair[0]).id, members.get(pair[1]).id, timeline.elapsedNanos() / 1e9)));
  }

  /** Indices {a, b} of two candidates proven to have led at once by two ordered passes of reads, if any. */
  static Optional<int[]> overlap(List<Optional<Leadership>> first, List<Optional<Leadership>> second) {
    int n = first.size();
    for (int a = 0; a < n; a++) {
      Optional<Leadership> held = first.get(a);
      if (held.isEmpty() || second.get(a).isEmpty() || held.get() != second.get(a).get()) {
        continue;
      }
      for (int b = 0; b < n; b++) {
        // Between a's two reads come the first-pass reads after a and the second-pass reads before it.
        Optional<Leadership> between = b > a ? first.get(b) : b < a ? second.get(b) : Optional.empty();
        if (between.isPresent()) {
          return Optional.of(new int[] {a, b});
        }
      }
    }
    return Optional.empty();
  }

  private void summary() {
    quiet = true;
    sampler.shutdown();
    timeline.heading("-- summary");
    List<Long> seen = List.copyOf(tokens);
    boolean increasing = true;
    for (int i = 1; i < seen.size(); i++) {
      increasing &= seen.get(i) > seen.get(i - 1);
    }
    timeline.note(seen.size() + " terms; tokens " + seen.stream().map(String::valueOf).collect(Collectors.joining(" < "))
        + (increasing ? "  (each larger than the last: a resource can fence off old leaders)"
            : "  (NOT increasing: this is a bug)"));
    if (!handoffs.isEmpty()) {
      timeline.note("resign -> new leader: " + String.join(", ", handoffs) + "  (a few round trips)");
    }
    if (!failovers.isEmpty()) {
      timeline.note("crash  -> new leader: " + String.join(", ", failovers) + "  (about the "
          + DurationConverter.format(config.sessionTimeout()) + " session timeout)");
    }
    if (!canCut) {
      timeline.note("crash rounds were skipped: this backend cannot be cut off through a proxy");
    }
    String o = overlap.get();
    timeline.note(o == null
        ? "never two valid leaders at once (every candidate's term sampled every "
            + DurationConverter.format(SAMPLE_PERIOD) + ")"
        : "TWO VALID LEADERS AT ONCE: " + o);
  }

  private static String describe(EndReason reason) {
    return switch (reason) {
      case RESIGNED -> "resigned; back of the line";
      case CLOSED -> "closed";
      case SESSION_SUSPENDED -> "lost contact, so it stops on its own before anyone else can be elected";
      case DEADLINE_PASSED -> "its session deadline passed on its own clock, before anyone else can be elected";
      case SESSION_EXPIRED -> "session expired";
      case TICKET_LOST -> "its ticket was removed";
    };
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    for (Member m : members) {
      m.close();
    }
    if (observer != null) {
      observer.close();
    }
    callbacks.shutdown();
  }
}
