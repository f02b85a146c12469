package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.ElectionClient;
import dev.elector.Leadership;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A bounded soak for any TCP backend: several clients, each behind its own {@link FaultProxy}, hundreds of candidates
 * in many elections, and random faults from a printed seed — partitions healed after a random time (some outlive the
 * session), dropped connections, added latency, server-side session expiry (after the client is cut off and has
 * stepped down, as rule 1.3 requires), resigns, closes and joins. At the end every fault is healed, every election
 * must have a leader again, and {@link History} checks every term. Used heap (after a GC) and the thread count are
 * sampled at the start and the end of the steady phase and must stay within {@link #HEAP_BOUND_BYTES} and
 * {@link #THREAD_BOUND}; once the clients are closed none of their threads may be left.
 *
 * <p>Short form by default ({@link #SHORT}, about 30 s of faults); the full form on demand with the system property
 * {@code -Delector.soak.duration=5m}, and {@code -Delector.soak.seed=N} to replay a run. A backend's test starts its
 * {@link TckFixture} (a TCP fixture with {@link TckFixture.Capability#EXPIRE_SESSION}; the soak's clients go to its
 * first endpoint, each through its own proxy, and {@link TckFixture#isClientThread} names the client library's
 * threads for the leak checks), calls {@link #run(TckFixture)} and closes the fixture afterwards.
 */
public final class Soak {
  /** System property: how long faults are injected ({@code 30s}, {@code 5m}, or ISO-8601 like {@code PT5M}). */
  public static final String DURATION = "elector.soak.duration";
  /** System property: the seed of the fault sequence, to replay a printed run. */
  public static final String SEED = "elector.soak.seed";
  /** How long faults are injected when {@link #DURATION} is unset. */
  public static final Duration SHORT = Duration.ofSeconds(30);
  /** The longest {@link #DURATION} accepted. */
  public static final Duration MAX = Duration.ofMinutes(30);
  /** Clients, each behind its own {@link FaultProxy}. */
  public static final int CLIENTS = 4;
  /** Elections, named {@code e0} to {@code e19}; each must have a valid leader after joining and after healing. */
  public static final int ELECTIONS = 20;
  /** Candidates joined per election at the start, on random clients (closes re-join one each). */
  public static final int PER_ELECTION = 10;
  /** Growth allowed between the two samples: the history itself grows with every term it records. */
  public static final long HEAP_BOUND_BYTES = 48L << 20;
  /** Live threads allowed to be added between the two samples, cached-pool workers not counted. */
  public static final int THREAD_BOUND = 10;

  private final TckFixture backend;
  private final Duration session;
  private final Duration recovery;
  private final History history = new History();
  private final List<FaultProxy> proxies = new ArrayList<>();
  private final List<ElectionClient> clients = new ArrayList<>();
  /** label -> candidate, and label -> index of its client. */
  private final Map<String, Candidate> candidates = new LinkedHashMap<>();
  private final Map<String, Integer> clientOf = new LinkedHashMap<>();
  private final Map<String, Integer> faults = new TreeMap<>();
  private final long[] healAt = new long[CLIENTS];
  /** Threads alive before the soak made its clients (the fixture's own, an earlier test's). */
  private final Set<Thread> preexisting = new HashSet<>();
  private int generation;

  private Soak(TckFixture backend) {
    this.backend = backend;
    this.session = backend.sessionTimeout();
    this.recovery = TimeScale.apply(session.plusSeconds(15));
  }

  /**
   * Runs the soak against a running service with the duration and seed of {@link #duration()} and {@link #seed()},
   * and closes every candidate, client and proxy it made. Throws {@link AssertionError} on a broken rule or bound.
   */
  public static void run(TckFixture backend) throws Exception {
    Assumptions.assumeTrue(backend.tcp() && backend.capabilities().contains(TckFixture.Capability.EXPIRE_SESSION),
        () -> backend.name() + " is not a TCP fixture with EXPIRE_SESSION: the soak cannot run");
    Soak soak = new Soak(backend);
    long seed = seed();
    try {
      soak.run(duration(), seed);
    } catch (AssertionError e) {
      // The build log often shows only the failure, not what the run printed: the seed goes with it.
      throw new AssertionError(e.getMessage() + "\n  seed=" + seed + " (replay with -D" + SEED + "=" + seed + ")", e);
    } finally {
      soak.candidates.values().forEach(Candidate::close);
      soak.clients.forEach(ElectionClient::close);
      soak.proxies.forEach(FaultProxy::close);
      soak.history.close();
    }
  }

  /** {@code 30s}, {@code 5m}, or an ISO-8601 duration from {@link #DURATION}; {@link #SHORT} when unset. */
  public static Duration duration() {
    String v = System.getProperty(DURATION, "").trim();
    if (v.isEmpty()) {
      return SHORT;
    }
    Duration d;
    try {
      if (v.matches("\\d+[smh]")) {
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        d = switch (v.charAt(v.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      } else {
        d = Duration.parse(v);
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(DURATION + "=" + v + " must be like 30s, 5m or PT5M", e);
    }
    if (d.isNegative() || d.isZero() || d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException(DURATION + "=" + v + " must be positive and at most " + MAX);
    }
    return d;
  }

  /** The seed from {@link #SEED}, or a random one when unset. */
  public static long seed() {
    String v = System.getProperty(SEED, "").trim();
    if (v.isEmpty()) {
      return ThreadLocalRandom.current().nextLong();
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(SEED + "=" + v + " must be a long", e);
    }
  }

  private void run(Duration duration, long seed) throws Exception {
    String name = backend.name();
    System.out.printf("%s soak: seed=%d (replay with -D%s=%d), %s of faults%n", name, seed, SEED, seed, duration);
    Random random = new Random(seed);
    preexisting.addAll(Thread.getAllStackTraces().keySet());
    for (int i = 0; i < CLIENTS; i++) {
      FaultProxy p = FaultProxy.start(backend.endpoints().get(0));
      proxies.add(p);
      clients.add(backend.connect(backend.config(List.of(p.endpoint()))));
    }
    for (int e = 0; e < ELECTIONS; e++) {
      for (int k = 0; k < PER_ELECTION; k++) {
        join(e, random.nextInt(CLIENTS));
      }
    }
    awaitEveryElectionLed("after joining");
    long heapStart = usedHeapAfterGc();
    int threadsStart = steadyThreads();
    Map<String, Long> groupsStart = threadGroups();

    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() - end < 0) {
      healDue();
      injectOne(random);
      Thread.sleep(100 + random.nextInt(300));
    }
    for (int i = 0; i < CLIENTS; i++) {
      proxies.get(i).heal();
      healAt[i] = 0;
    }
    long healed = System.nanoTime();
    awaitEveryElectionLed("after healing every fault");
    double recoveryMs = (System.nanoTime() - healed) / 1e6;
    long heapEnd = usedHeapAfterGc();
    int threadsEnd = steadyThreads();
    Map<String, Long> groupsEnd = threadGroups();

    for (var c : candidates.entrySet()) {
      history.close(c.getKey(), c.getValue());
    }
    candidates.clear();
    history.awaitQuiescence(TimeScale.apply(Duration.ofSeconds(15)));
    List<String> violations = history.violations();
    long overlaps = violations.stream().filter(v -> v.startsWith("rule 1.1")).count();
    System.out.printf("%s soak: seed=%d, %d candidates in %d elections on %d clients; faults injected %s; "
            + "%d terms checked; overlaps=%d; violations=%d; every election led %.0f ms after the last heal; "
            + "heap after GC %.1f MB -> %.1f MB (bound +%d MB); threads %d -> %d (bound +%d, cached-pool workers not counted)%n",
        name, seed, generation, ELECTIONS, CLIENTS, faults, history.terms().size(), overlaps, violations.size(),
        recoveryMs, heapStart / 1048576.0, heapEnd / 1048576.0, HEAP_BOUND_BYTES >> 20, threadsStart, threadsEnd,
        THREAD_BOUND);
    System.out.printf("%s soak: threads by name at start %s%n  and at end %s%n", name, groupsStart, groupsEnd);
    history.assertValid();
    check(history.terms().size() > ELECTIONS,
        "expected more than " + ELECTIONS + " terms, got " + history.terms().size() + ", seed=" + seed);
    check(heapEnd - heapStart < HEAP_BOUND_BYTES, "used heap growth over the steady phase, seed=" + seed + ": "
        + (heapEnd - heapStart) + " bytes, expected less than " + HEAP_BOUND_BYTES);
    check(threadsEnd - threadsStart <= THREAD_BOUND, "thread growth over the steady phase, seed=" + seed + ": "
        + (threadsEnd - threadsStart) + ", expected at most " + THREAD_BOUND);
    // And once every client is closed, none of their threads (callback workers included) is left. The proxies'
    // own threads are the test tool's, not the client's, so they are printed, not asserted.
    clients.forEach(ElectionClient::close);
    proxies.forEach(FaultProxy::close);
    long deadline = System.nanoTime() + recovery.toNanos();
    while (clientThreads() > 0) {
      if (System.nanoTime() - deadline > 0) {
        fail("client threads left " + recovery + " after close: " + threadGroups());
      }
      Thread.sleep(20);
    }
    System.out.printf("soak: client threads after close: 0; fault-proxy threads still alive: %d%n",
        Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("fault-proxy-")).count());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      fail(message);
    }
  }

  private void join(int election, int client) {
    String e = "e" + election;
    String label = e + "/c" + (generation++);
    candidates.put(label, clients.get(client).election(e).candidate(label)
        .listener(history.callbackExecutor(), history.listener(e, label)).join());
    clientOf.put(label, client);
  }

  private void healDue() {
    long now = System.nanoTime();
    for (int i = 0; i < CLIENTS; i++) {
      if (healAt[i] != 0 && now - healAt[i] > 0) {
        proxies.get(i).heal();
        healAt[i] = 0;
      }
    }
  }

  private void count(String kind) {
    faults.merge(kind, 1, Integer::sum);
  }

  private void injectOne(Random random) throws Exception {
    int client = random.nextInt(CLIENTS);
    boolean calm = healAt[client] == 0;
    switch (random.nextInt(7)) {
      case 0 -> {
        if (calm) {
          // From a blip to twice the session timeout: some sessions survive, some expire on the server.
          proxies.get(client).partition();
          healAt[client] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200 + random.nextInt(
              (int) (2 * session.toMillis())));
          count("partition");
        }
      }
      case 1 -> {
        proxies.get(client).dropConnections();
        count("dropConnections");
      }
      case 2 -> {
        if (calm) {
          proxies.get(client).latency(Duration.ofMillis(20 + random.nextInt(150)));
          healAt[client] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500 + random.nextInt(2000));
          count("latency");
        }
      }
      case 3 -> {
        if (calm && expire(client)) {
          count("sessionExpiry");
        }
      }
      case 4 -> {
        List<String> leaders = candidates.entrySet().stream().filter(c -> c.getValue().isLeader())
            .map(Map.Entry::getKey).toList();
        if (!leaders.isEmpty()) {
          String label = leaders.get(random.nextInt(leaders.size()));
          // Not awaited: a resign on a client that is cut off completes when it can.
          history.resign(label, candidates.get(label));
          count("resign");
        }
      }
      default -> {
        List<String> labels = new ArrayList<>(candidates.keySet());
        String label = labels.get(random.nextInt(labels.size()));
        if (healAt[clientOf.get(label)] == 0) {
          history.close(label, candidates.remove(label));
          count("close");
          join(Integer.parseInt(label.substring(1, label.indexOf('/'))), client);
          count("join");
        }
      }
    }
  }

  /**
   * Expires a client's session on the server the way rule 1.3 allows: cut the client off, wait until none of its
   * terms is valid (its own deadline passed), expire, heal.
   */
  private boolean expire(int client) throws Exception {
    long sessionId = clients.get(client).sessionId();
    if (sessionId == 0) {
      return false;
    }
    proxies.get(client).partition();
    long until = System.nanoTime() + recovery.toNanos();
    while (candidates.entrySet().stream().anyMatch(c -> clientOf.get(c.getKey()) == client
        && c.getValue().leadership().map(Leadership::isValid).orElse(false))) {
      if (System.nanoTime() - until > 0) {
        fail("rule 1.3: a term of a cut-off client stayed valid for " + recovery);
      }
      Thread.sleep(5);
    }
    // A no-op if the server expired the session on its own meanwhile (TckFixture.expireSession).
    backend.expireSession(clients.get(client));
    proxies.get(client).heal();
    return true;
  }

  private void awaitEveryElectionLed(String when) throws InterruptedException {
    long end = System.nanoTime() + recovery.toNanos();
    while (true) {
      List<String> leaderless = new ArrayList<>();
      for (int e = 0; e < ELECTIONS; e++) {
        String prefix = "e" + e + "/";
        boolean led = candidates.entrySet().stream().anyMatch(c -> c.getKey().startsWith(prefix)
            && c.getValue().leadership().map(Leadership::isValid).orElse(false));
        if (!led) {
          leaderless.add("e" + e);
        }
      }
      if (leaderless.isEmpty()) {
        return;
      }
      if (System.nanoTime() - end > 0) {
        fail(
            "rule 2.1/2.5: elections " + leaderless + " without a valid leader " + recovery + " " + when);
      }
      Thread.sleep(20);
    }
  }

  /**
   * Live threads except cached pools: the engine's callback workers (a worker per concurrent dispatch, let go after
   * 30 s idle) and the fixture's {@link TckFixture#isCachedPoolThread(String)}; both are checked to be gone at close.
   */
  private int steadyThreads() {
    return (int) Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> !n.startsWith("elector-callback-") && !backend.isCachedPoolThread(n)).count();
  }

  /** Client threads the soak's own clients started: threads alive before it made them are not theirs. */
  private long clientThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> !preexisting.contains(t)).map(Thread::getName)
        .filter(n -> n.startsWith("elector-") || backend.isClientThread(n)).count();
  }

  private static Map<String, Long> threadGroups() {
    Map<String, Long> out = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      out.merge(t.getName().replaceAll("\\d+", "#"), 1L, Long::sum);
    }
    return out;
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    // Runtime, not java.management: a backend's tests may run on the module path, which need not read it.
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
