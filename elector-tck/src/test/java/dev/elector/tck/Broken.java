package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ClientConfig;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.ElectorTimeoutException;
import dev.elector.EndReason;
import dev.elector.LeaderObserver;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.SessionListener;
import dev.elector.SessionState;
import dev.elector.Subscription;
import dev.elector.mem.MemCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deliberately broken backends for the kit's self-tests: the in-memory backend behind decorators of the public API,
 * each breaking one rule the way a faulty engine or backend would.
 */
final class Broken {
  private Broken() {}

  /** Each variant breaks one rule. */
  enum Variant {
    /** Every second candidate of an election campaigns in a hidden twin election: two leaders at once (1.1). */
    TWO_LEADERS,
    /** Tokens count down instead of up (1.2). */
    TOKEN_GOES_BACK,
    /** A term stays valid when the session is lost: only resign and close end it (1.3, 1.4). */
    NO_STEP_DOWN_WHEN_PARTITIONED,
    /** A waiting candidate whose session expired is told it leads, on its dead ticket (1.5). */
    PHANTOM_LEADER,
    /** Two tickets per join (1.5). */
    TWO_TICKETS_PER_JOIN,
    /** resign() completes before the term ends (1.6). */
    RESIGN_COMPLETES_EARLY,
    /** Nobody is ever told it leads (2.1). */
    NOBODY_LEADS,
    /** A new leader learns it leads only two session timeouts later (2.2). */
    SLOW_HANDOFF,
    /** The service never expires a silent session: a crashed leader is never replaced (2.3). */
    ZOMBIE_SESSIONS,
    /** A candidate whose session expired drops out instead of rejoining (2.4). */
    NO_REJOIN_AFTER_EXPIRY,
    /** resign() does nothing (2.6). */
    RESIGN_IGNORED,
    /** elected is delivered twice (3.1). */
    CALLBACK_TWICE,
    /** Callbacks run on Elector's own thread, not the application's executor (3.2). */
    CALLBACK_ON_WRONG_EXECUTOR,
    /** A listener added during a term misses that term's elected (3.3). */
    LATE_LISTENER_MISSES_TERM,
    /** awaitLeadership returns null instead of timing out (3.4). */
    AWAIT_NEVER_TIMES_OUT,
    /** Every term ends with reason CLOSED (3.5). */
    WRONG_END_REASON,
    /** Session listeners never hear EXPIRED (3.6). */
    SESSION_EXPIRED_NOT_REPORTED,
    /** Calls on a closed candidate quietly succeed (4.1). */
    USE_AFTER_CLOSE_SILENT,
    /** Closing a client leaves its candidates running (4.2). */
    CLIENT_CLOSE_LEAVES_CANDIDATES,
    /** Bad names and ids are "fixed" instead of rejected (4.3). */
    BAD_INPUT_ACCEPTED,
    /** updateData is acknowledged but never sent (4.6). */
    DATA_UPDATE_LOST,
    /** Every tenth close leaves its ticket behind (4.7). */
    CLOSE_LEAKS_TICKETS,
    /** Observers never get their first report (5.1). */
    OBSERVER_MISSES_CURRENT,
    /** Observers miss "no leader" (5.2). */
    OBSERVER_MISSES_NO_LEADER,
    /** Observed tokens count down (5.3). */
    OBSERVER_TOKEN_GOES_BACK,
    /** cancel() does nothing (5.4). */
    CANCEL_IGNORED,
    /** participants() lists the line backwards (5.5). */
    PARTICIPANTS_REVERSED,

    // Scenarios the kit produces itself. Those marked "backend" break the SPI below the engine
    // (BrokenBackend, served as scheme brokenmem); the others decorate the public API like the variants above.

    /** Backend, not broken: late answers, and a late "first" for every superseded wait (the fence's harness). */
    LATE_COMPLETIONS,
    /** Backend: a superseded wait's late "first" starts a term on the candidate's next ticket, as without a fence (1.1). */
    STALE_FIRST_AS_CURRENT,
    /** Backend: a session expired while in contact goes unnoticed; the old one is reported alive (3.5). */
    EXPIRY_UNNOTICED_WHILE_CONNECTED,
    /** Every callback is handed to the listener's executor at once: on a pool, revoked overtakes elected (3.3). */
    CALLBACKS_UNSERIALIZED,
    /** Backend: a create whose answer was lost with the connection is created again, blindly (1.5). */
    CREATE_RETRIED_WHEN_ANSWER_LOST,
    /** Backend: the session deadline counts from a renewal's late answer, not its sending (1.3). */
    DEADLINE_FROM_ANSWER,
    /** Backend: the tickets of one session are put first in reverse order by the shared line read (2.2). */
    LINE_MISORDERED_IN_SESSION,
    /** Backend: tokens count within the election's container and start again when it is deleted (1.2). */
    TOKENS_RESET_WITH_ELECTION,
    /** Backend: renews on the engine's loop, and believes a "connected" flag that only the loop updates (1.1). */
    VALID_WHILE_LOOP_STALLS,

    // Faults beyond the client link, decorating the public API.
    /** A leader whose ticket an operator deleted stays valid for a second after its term ended (1.1). */
    TERM_OUTLIVES_DELETED_TICKET,
    /** An entry Elector did not write takes a place in line, as a candidate that never leaves (4.8). */
    FOREIGN_ENTRY_IN_LINE,
    /** leader() and participants() fail once the line's data passes 4 MiB, like a read past an inbound limit (4.6). */
    LARGE_LINE_FAILS,
    /** resign() and closeAsync() complete on an engine-like thread of Elector's, running continuations there (3.2). */
    STAGES_ON_ENGINE_THREAD,
    /** close() returns at once and ends the term 300 ms later (1.6). */
    CLOSE_RETURNS_EARLY,
    /** A client whose root lies inside another application's election E joins E's line, whatever election (4.8). */
    NESTED_ROOTS_SHARE_A_LINE;

    /** True for variants that break the backend below the engine ({@link BrokenBackend}). */
    boolean inBackend() {
      return switch (this) {
        case LATE_COMPLETIONS, STALE_FIRST_AS_CURRENT, EXPIRY_UNNOTICED_WHILE_CONNECTED,
            CREATE_RETRIED_WHEN_ANSWER_LOST, DEADLINE_FROM_ANSWER, LINE_MISORDERED_IN_SESSION,
            TOKENS_RESET_WITH_ELECTION, VALID_WHILE_LOOP_STALLS -> true;
        default -> false;
      };
    }
  }

  /** The one thread of {@link Variant#STAGES_ON_ENGINE_THREAD}, named like the engine's. */
  private static final java.util.concurrent.ExecutorService ENGINE_LIKE =
      Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "elector-engine-broken-1");
        t.setDaemon(true);
        return t;
      });

  /** The in-memory fixture whose clients are decorated to break one rule. */
  static final class Fixture extends MemFixture {
    private final Variant v;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "broken-timer");
      t.setDaemon(true);
      return t;
    });
    private final Map<Long, java.util.concurrent.ScheduledFuture<?>> zombies = new ConcurrentHashMap<>();

    Fixture(Variant v) {
      this.v = v;
    }

    @Override
    public ElectionClient connect(ClientConfig config) {
      ClientConfig c = v.inBackend() ? BrokenMemProvider.config(config, v) : config;
      String nested = ROOT + "/";
      if (v == Variant.NESTED_ROOTS_SHARE_A_LINE && config.root().startsWith(nested)) {
        // Like a prefix read of ROOT/E that also matches ROOT/E/F/…: the inner application stands in E's line.
        BadClient bad = new BadClient(Elections.connect(config.toBuilder().root(ROOT).build()), v, timers);
        bad.sharedElection = config.root().substring(nested.length());
        return bad;
      }
      return new BadClient(Elections.connect(c), v, timers);
    }

    @Override
    public void expireSession(ElectionClient client) {
      super.expireSession(((BadClient) client).real);
    }

    @Override
    public void partition(ElectionClient client) throws InterruptedException {
      ElectionClient real = ((BadClient) client).real;
      super.partition(real);
      long id = real.sessionId(); // the session cut off (after a heal the client may have opened a new one)
      if (v == Variant.ZOMBIE_SESSIONS) {
        // Keep renewing the silent session on the server, as a backend whose keepalives bypass the network might.
        zombies.put(id, timers.scheduleAtFixedRate(() -> {
          MemCluster c = MemCluster.named(endpoints().get(0));
          c.heal(id);
          c.silence(id);
        }, 200, 200, TimeUnit.MILLISECONDS));
      }
    }

    @Override
    public void heal(ElectionClient client) {
      ElectionClient real = ((BadClient) client).real;
      zombies.values().forEach(f -> f.cancel(false));
      super.heal(real);
    }

    /** Clients holding the "foreign entries" of {@link Variant#FOREIGN_ENTRY_IN_LINE}, closed with the fixture. */
    private final List<ElectionClient> foreign = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void putForeignEntry(String election, String name, byte[] value) {
      if (v != Variant.FOREIGN_ENTRY_IN_LINE) {
        super.putForeignEntry(election, name, value);
        return;
      }
      // The entry is taken for a ticket: it stands in line (and leads, if first) until the fixture closes.
      ElectionClient c = Elections.connect(config(endpoints()));
      foreign.add(c);
      c.election(election).candidate(name).data(value).join();
    }

    @Override
    public void close() {
      foreign.forEach(ElectionClient::close);
      timers.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- decorators

  static final class BadClient implements ElectionClient {
    final ElectionClient real;
    final Variant v;
    final ScheduledExecutorService timers;
    final Map<Leadership, Leadership> terms = Collections.synchronizedMap(new IdentityHashMap<>());
    /** For {@link Variant#NESTED_ROOTS_SHARE_A_LINE}: the outer election every election of this client lands in. */
    volatile String sharedElection;

    BadClient(ElectionClient real, Variant v, ScheduledExecutorService timers) {
      this.real = real;
      this.v = v;
      this.timers = timers;
    }

    Leadership wrap(Leadership t, BadCandidate owner) {
      if (t == null) {
        return null;
      }
      return terms.computeIfAbsent(t, x -> new BadTerm(x, this, owner));
    }

    @Override
    public ClientConfig config() {
      return real.config();
    }

    @Override
    public Election election(String name) {
      if (v == Variant.BAD_INPUT_ACCEPTED && name != null) {
        String fixed = name.replaceAll("[^A-Za-z0-9._-]", "x");
        fixed = fixed.isEmpty() ? "x" : fixed;
        fixed = fixed.length() > 100 ? fixed.substring(0, 100) : fixed;
        fixed = fixed.startsWith(".") || fixed.startsWith("-") ? "x" + fixed : fixed;
        return new BadElection(real.election(fixed), this, name);
      }
      if (sharedElection != null) {
        return new BadElection(real.election(sharedElection), this, name);
      }
      return new BadElection(real.election(name), this, name);
    }

    @Override
    public SessionState sessionState() {
      return real.sessionState();
    }

    @Override
    public long sessionId() {
      return real.sessionId();
    }

    @Override
    public Subscription addSessionListener(Executor executor, SessionListener listener) {
      if (v == Variant.SESSION_EXPIRED_NOT_REPORTED) {
        return real.addSessionListener(executor, (s, id) -> {
          if (s != SessionState.EXPIRED) {
            listener.sessionStateChanged(s, id);
          }
        });
      }
      return real.addSessionListener(executor, listener);
    }

    @Override
    public void close() {
      if (v == Variant.CLIENT_CLOSE_LEAVES_CANDIDATES) {
        timers.schedule(real::close, 3, TimeUnit.SECONDS);
        return;
      }
      real.close();
    }
  }

  static final class BadElection implements Election {
    private static final Map<String, AtomicInteger> JOINS = new ConcurrentHashMap<>();
    final Election real;
    final BadClient client;
    final String name;

    BadElection(Election real, BadClient client, String name) {
      this.real = real;
      this.client = client;
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Candidate.Builder candidate(String candidateId) {
      Election target = real;
      if (client.v == Variant.TWO_LEADERS && JOINS.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet()
          % 2 == 0) {
        target = client.real.election(name + "-twin");
      }
      String id = candidateId;
      if (client.v == Variant.BAD_INPUT_ACCEPTED && id != null) {
        id = id.isBlank() ? "x" : id.replaceAll("\\p{Cntrl}", "x");
        id = id.length() > 200 ? id.substring(0, 200) : id;
      }
      return new BadBuilder(target, id, this);
    }

    @Override
    public CompletionStage<Optional<Participant>> leader() {
      if (client.v == Variant.LARGE_LINE_FAILS) {
        return real.participants().thenCompose(l -> tooLarge(l) ? failedRead() : real.leader());
      }
      return real.leader();
    }

    private static boolean tooLarge(List<Participant> line) {
      return line.stream().mapToLong(p -> p.data().length).sum() > 4 * 1024 * 1024;
    }

    private static <T> CompletionStage<T> failedRead() {
      return CompletableFuture.failedFuture(new dev.elector.BackendUnavailableException(
          "line read larger than the inbound message limit", null));
    }

    @Override
    public CompletionStage<List<Participant>> participants() {
      CompletionStage<List<Participant>> line = real.participants();
      if (client.v == Variant.TWO_LEADERS) {
        // Show the twin's candidates too, so the split is invisible to anyone listing the line.
        return line.thenCombine(client.real.election(name + "-twin").participants(), (a, b) -> {
          List<Participant> all = new ArrayList<>(a);
          all.addAll(b);
          return all;
        });
      }
      if (client.v == Variant.LARGE_LINE_FAILS) {
        return line.thenCompose(l -> tooLarge(l) ? failedRead() : CompletableFuture.completedFuture(l));
      }
      if (client.v == Variant.PARTICIPANTS_REVERSED) {
        return line.thenApply(l -> {
          List<Participant> r = new ArrayList<>(l);
          Collections.reverse(r);
          return r;
        });
      }
      return line;
    }

    @Override
    public Subscription observe(Executor executor, LeaderObserver observer) {
      Variant v = client.v;
      AtomicInteger n = new AtomicInteger();
      Subscription s = real.observe(executor, leader -> {
        int i = n.getAndIncrement();
        switch (v) {
          case OBSERVER_MISSES_CURRENT -> {
            if (i > 0) {
              observer.leaderChanged(leader);
            }
          }
          case OBSERVER_MISSES_NO_LEADER -> {
            if (i == 0 || leader.isPresent()) {
              observer.leaderChanged(leader);
            }
          }
          case OBSERVER_TOKEN_GOES_BACK -> observer.leaderChanged(leader.map(p ->
              new Participant(p.election(), p.candidateId(), 1_000_000 - p.token(), p.data())));
          default -> observer.leaderChanged(leader);
        }
      });
      if (v == Variant.CANCEL_IGNORED) {
        return () -> {};
      }
      return s;
    }
  }

  static final class BadBuilder implements Candidate.Builder {
    final Election target;
    final String id;
    final BadElection election;
    final List<Object[]> listeners = new ArrayList<>();
    byte[] data = new byte[0];

    BadBuilder(Election target, String id, BadElection election) {
      this.target = target;
      this.id = id;
      this.election = election;
    }

    @Override
    public Candidate.Builder data(byte[] d) {
      this.data = d;
      return this;
    }

    @Override
    public Candidate.Builder data(String d) {
      return data(d.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Candidate.Builder listener(Executor executor, LeadershipListener listener) {
      listeners.add(new Object[] {executor, listener});
      return this;
    }

    @Override
    public Candidate join() {
      BadCandidate bad = new BadCandidate(election);
      Candidate.Builder b = target.candidate(id).data(data);
      for (Object[] l : listeners) {
        if (election.client.v == Variant.CALLBACKS_UNSERIALIZED) {
          b = b.listener(Runnable::run, unserialized((Executor) l[0], bad.listener((LeadershipListener) l[1], false)));
        } else {
          b = b.listener(bad.executor((Executor) l[0]), bad.listener((LeadershipListener) l[1], false));
        }
        bad.apps.add(l);
      }
      bad.real = b.join();
      if (election.client.v == Variant.TWO_TICKETS_PER_JOIN) {
        bad.shadow = target.candidate(id).data(data).join();
      }
      if (election.client.v == Variant.PHANTOM_LEADER) {
        // Like etcd#11051: "you are leader" arrives as stale news about the session that just died.
        election.client.real.addSessionListener(election.client.timers, (state, id) -> {
          if (state == SessionState.EXPIRED && !bad.real.isLeader() && !bad.closed) {
            bad.phantom();
          }
        });
      }
      if (election.client.v == Variant.NO_REJOIN_AFTER_EXPIRY) {
        // Drops out for good when the session expires, instead of rejoining with the new session.
        election.client.real.addSessionListener(election.client.timers, (state, id) -> {
          if (state == SessionState.EXPIRED) {
            bad.real.close();
          }
        });
      }
      return bad;
    }
  }

  /**
   * Hands each callback to {@code app}'s executor the moment it happens, with no per-listener queue: on a pool of
   * threads a later callback may start before an earlier one returned (CALLBACKS_UNSERIALIZED).
   */
  static LeadershipListener unserialized(Executor app, LeadershipListener l) {
    return new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        app.execute(() -> l.elected(term));
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {
        app.execute(() -> l.revoked(term, reason));
      }
    };
  }

  static final class BadCandidate implements Candidate {
    private static final AtomicInteger CLOSES = new AtomicInteger();
    final BadElection election;
    final Variant v;
    volatile Candidate real;
    volatile Candidate shadow;
    volatile boolean closed;
    final List<Object[]> apps = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile PhantomTerm phantom;

    BadCandidate(BadElection election) {
      this.election = election;
      this.v = election.client.v;
    }

    void phantom() {
      PhantomTerm t = new PhantomTerm(this);
      phantom = t;
      for (Object[] l : apps) {
        ((Executor) l[0]).execute(() -> ((LeadershipListener) l[1]).elected(t));
      }
    }

    void endPhantom() {
      PhantomTerm t = phantom;
      if (t != null && t.ended.complete(EndReason.CLOSED)) {
        for (Object[] l : apps) {
          ((Executor) l[0]).execute(() -> ((LeadershipListener) l[1]).revoked(t, EndReason.CLOSED));
        }
      }
    }

    Executor executor(Executor app) {
      return v == Variant.CALLBACK_ON_WRONG_EXECUTOR ? Runnable::run : app;
    }

    LeadershipListener listener(LeadershipListener app, boolean late) {
      AtomicInteger calls = new AtomicInteger();
      return new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          if (late && v == Variant.LATE_LISTENER_MISSES_TERM && calls.getAndIncrement() == 0) {
            return;
          }
          Leadership t = election.client.wrap(term, BadCandidate.this);
          app.elected(t);
          if (v == Variant.CALLBACK_TWICE) {
            app.elected(t);
          }
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {
          calls.incrementAndGet();
          app.revoked(election.client.wrap(term, BadCandidate.this),
              v == Variant.WRONG_END_REASON ? EndReason.CLOSED : reason);
        }
      };
    }

    boolean shows(Leadership t) {
      if (v == Variant.NOBODY_LEADS) {
        return false;
      }
      if (v == Variant.SLOW_HANDOFF) {
        long age = System.nanoTime() - t.startedNanos();
        return age > MemFixture.SESSION_TIMEOUT.multipliedBy(2).toNanos();
      }
      return true;
    }

    @Override
    public String id() {
      return real.id();
    }

    @Override
    public String election() {
      return election.name;
    }

    @Override
    public CandidateState state() {
      return closed && v == Variant.CLOSE_LEAKS_TICKETS ? CandidateState.CLOSED : real.state();
    }

    @Override
    public boolean isLeader() {
      return leadership().isPresent();
    }

    @Override
    public Optional<Leadership> leadership() {
      if (closed) {
        return Optional.empty();
      }
      PhantomTerm p = phantom;
      if (p != null && p.isValid()) {
        return Optional.of(p);
      }
      if (v == Variant.NO_STEP_DOWN_WHEN_PARTITIONED) {
        for (Leadership t : List.copyOf(election.client.terms.values())) {
          if (((BadTerm) t).owner == this && t.isValid()) {
            return Optional.of(t);
          }
        }
      }
      return real.leadership().filter(this::shows).map(t -> election.client.wrap(t, this));
    }

    @Override
    public CompletionStage<Void> joined() {
      return real.joined();
    }

    @Override
    public CompletionStage<Leadership> elected() {
      return real.elected().thenApply(t -> election.client.wrap(t, this));
    }

    @Override
    public Leadership awaitLeadership(Duration timeout) throws InterruptedException {
      if (v == Variant.NOBODY_LEADS || v == Variant.SLOW_HANDOFF) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
          Optional<Leadership> l = leadership();
          if (l.isPresent()) {
            return l.get();
          }
          Thread.sleep(5);
        }
        throw new ElectorTimeoutException("not elected within " + timeout, timeout);
      }
      try {
        return election.client.wrap(real.awaitLeadership(timeout), this);
      } catch (ElectorTimeoutException e) {
        if (v == Variant.AWAIT_NEVER_TIMES_OUT) {
          return null;
        }
        throw e;
      }
    }

    @Override
    public CompletionStage<Void> resign() {
      if (closed && v == Variant.USE_AFTER_CLOSE_SILENT) {
        return CompletableFuture.completedFuture(null);
      }
      if (v == Variant.RESIGN_IGNORED) {
        return CompletableFuture.completedFuture(null);
      }
      if (v == Variant.RESIGN_COMPLETES_EARLY) {
        election.client.timers.schedule(() -> real.resign(), 300, TimeUnit.MILLISECONDS);
        return CompletableFuture.completedFuture(null);
      }
      if (v == Variant.STAGES_ON_ENGINE_THREAD) {
        return real.resign().thenApplyAsync(x -> x, ENGINE_LIKE);
      }
      return real.resign();
    }

    @Override
    public byte[] data() {
      return real.data();
    }

    @Override
    public CompletionStage<Void> updateData(byte[] data) {
      if (closed && v == Variant.USE_AFTER_CLOSE_SILENT) {
        return CompletableFuture.completedFuture(null);
      }
      if (v == Variant.DATA_UPDATE_LOST && data != null && data.length <= election.client.config().maxDataBytes()) {
        return CompletableFuture.completedFuture(null);
      }
      return real.updateData(data);
    }

    @Override
    public Subscription addListener(Executor executor, LeadershipListener listener) {
      if (v == Variant.CALLBACKS_UNSERIALIZED) {
        return real.addListener(Runnable::run, unserialized(executor, listener(listener, true)));
      }
      return real.addListener(executor(executor), listener(listener, true));
    }

    @Override
    public CompletionStage<Void> closeAsync() {
      closed = true;
      endPhantom();
      if (shadow != null) {
        shadow.closeAsync();
      }
      if (v == Variant.CLOSE_LEAKS_TICKETS && CLOSES.incrementAndGet() % 10 == 0) {
        return real.resign();
      }
      if (v == Variant.STAGES_ON_ENGINE_THREAD) {
        return real.closeAsync().thenApplyAsync(x -> x, ENGINE_LIKE);
      }
      return real.closeAsync();
    }

    @Override
    public void close() {
      closed = true;
      endPhantom();
      if (shadow != null) {
        shadow.close();
      }
      if (v == Variant.CLOSE_LEAKS_TICKETS && CLOSES.incrementAndGet() % 10 == 0) {
        real.resign().toCompletableFuture().join();
        return;
      }
      if (v == Variant.CLOSE_RETURNS_EARLY) {
        election.client.timers.schedule(() -> real.close(), 300, TimeUnit.MILLISECONDS);
        return;
      }
      real.close();
    }
  }

  static final class BadTerm implements Leadership {
    final Leadership real;
    final BadClient client;
    final BadCandidate owner;

    /** When the real term ended (for {@link Variant#TERM_OUTLIVES_DELETED_TICKET}); 0 while it has not. */
    volatile long endedAt;

    BadTerm(Leadership real, BadClient client, BadCandidate owner) {
      this.real = real;
      this.client = client;
      this.owner = owner;
      if (client.v == Variant.TERM_OUTLIVES_DELETED_TICKET) {
        real.ended().whenComplete((r, e) -> endedAt = System.nanoTime());
      }
    }

    @Override
    public String election() {
      return owner.election.name;
    }

    @Override
    public String candidateId() {
      return real.candidateId();
    }

    @Override
    public long token() {
      return client.v == Variant.TOKEN_GOES_BACK ? 1_000_000 - real.token() : real.token();
    }

    @Override
    public long startedNanos() {
      return real.startedNanos();
    }

    @Override
    public boolean isValid() {
      if (client.v == Variant.NO_STEP_DOWN_WHEN_PARTITIONED) {
        // Ignores the session: only resign and close end the term.
        CompletableFuture<EndReason> f = real.ended().toCompletableFuture();
        return !owner.closed && (!f.isDone() || (f.join() != EndReason.RESIGNED && f.join() != EndReason.CLOSED));
      }
      if (client.v == Variant.TERM_OUTLIVES_DELETED_TICKET) {
        CompletableFuture<EndReason> f = real.ended().toCompletableFuture();
        if (f.isDone() && f.join() == EndReason.TICKET_LOST) {
          long at = endedAt;
          return at == 0 || System.nanoTime() - at < TimeUnit.SECONDS.toNanos(1);
        }
      }
      return real.isValid() && owner.shows(real);
    }

    /** The real term's deadline while this one reads valid; a variant that stays valid longer claims the future. */
    @Override
    public long validUntilNanos() {
      long now = System.nanoTime();
      if (!isValid()) {
        return now - 1;
      }
      long real = this.real.validUntilNanos();
      return real - now > 0 ? real : now + TimeUnit.SECONDS.toNanos(1);
    }

    @Override
    public CompletionStage<EndReason> ended() {
      if (client.v == Variant.WRONG_END_REASON) {
        return real.ended().thenApply(r -> EndReason.CLOSED);
      }
      return real.ended();
    }

    @Override
    public String toString() {
      return "Broken" + real;
    }
  }

  /** A term invented for a candidate whose session is gone. */
  static final class PhantomTerm implements Leadership {
    final BadCandidate owner;
    final long started = System.nanoTime();
    final CompletableFuture<EndReason> ended = new CompletableFuture<>();

    PhantomTerm(BadCandidate owner) {
      this.owner = owner;
    }

    @Override
    public String election() {
      return owner.election.name;
    }

    @Override
    public String candidateId() {
      return owner.id();
    }

    @Override
    public long token() {
      return 0;
    }

    @Override
    public long startedNanos() {
      return started;
    }

    @Override
    public boolean isValid() {
      return !ended.isDone();
    }

    @Override
    public long validUntilNanos() {
      return isValid() ? Long.MAX_VALUE : System.nanoTime() - 1;
    }

    @Override
    public CompletionStage<EndReason> ended() {
      return ended;
    }
  }
}
