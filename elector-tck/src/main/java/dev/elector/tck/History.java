package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records every term of every candidate it is given, on one monotonic clock ({@link System#nanoTime()}), and checks
 * the history against the safety and event rules of {@code SPEC.md}. Reusable by soak tests outside the kit:
 *
 * <pre>{@code
 * try (History h = new History()) {
 *   Candidate c = election.candidate("a").listener(h.callbackExecutor(), h.listener("jobs", "a")).join();
 *   ...
 *   h.close("a", c);
 *   h.awaitQuiescence(Duration.ofSeconds(5));
 *   h.assertValid();          // AssertionError "rule 1.1: …" with the offending slice of the history
 * }
 * }</pre>
 *
 * <p><b>How validity is measured.</b> A term is valid from {@link Leadership#startedNanos()} until {@code isValid()}
 * first turns false. A sampler thread calls {@code isValid()} on every open term about every millisecond, and the
 * recorder samples every open term of an election the moment a new term of that election is reported elected. For
 * each term the history keeps the last instant it was certainly valid ({@code lastValid}: the clock read just before
 * a call that returned true) and an upper bound on its end (the earliest of: a sample that returned false, the
 * {@code revoked} delivery, the {@code ended()} completion). Two terms overlap (rule 1.1) when each was certainly
 * valid at one instant: {@code max(start) < min(lastValid)}. That check has no false alarms, and the sampling at each
 * election makes a leader that keeps believing it leads after its successor started visible at once.
 *
 * <p>Checks: 1.1 no overlap; 1.2 tokens strictly increase from term to term of an election (equal only when the same
 * candidate resumes with no other term between) and no two candidates share a token; 1.4 a term never becomes valid
 * again, and is not valid when its {@code revoked} or {@code ended()} is delivered; 1.6 a term is ended when its
 * candidate's {@code resign()}/{@code close()} completes; 3.1 per candidate, {@code elected}/{@code revoked}
 * alternate, once each per term, every term revoked once its candidate closed; 3.2 callbacks run on the executor
 * given at registration.
 */
public final class History implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();
  private static final String THREAD_PREFIX = "tck-callback-";

  private final Object lock = new Object();
  private final long origin = System.nanoTime();
  private final List<Rec> terms = new ArrayList<>();
  private final Map<Leadership, Rec> byTerm = new IdentityHashMap<>();
  private final Map<String, List<Event>> events = new LinkedHashMap<>();
  private final Map<String, String> electionOf = new LinkedHashMap<>();
  private final Map<String, Long> closedAt = new LinkedHashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final String poolName = THREAD_PREFIX + POOLS.incrementAndGet() + "-";
  private final ExecutorService callbacks;
  private final Thread sampler;
  private volatile boolean closed;

  /** A history with its own callback executor (three daemon threads) and a sampler thread. */
  public History() {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf = r -> {
      Thread t = new Thread(r, poolName + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.callbacks = Executors.newFixedThreadPool(3, tf);
    this.sampler = new Thread(this::sampleLoop, "tck-history-sampler");
    sampler.setDaemon(true);
    sampler.setPriority(Thread.MAX_PRIORITY);
    sampler.start();
  }

  /** The executor to register the history's listeners with; callbacks elsewhere are a rule 3.2 violation. */
  public ExecutorService callbackExecutor() {
    return callbacks;
  }

  /**
   * A listener recording the terms of one candidate. {@code label} must be unique per candidate within this history
   * (candidate ids need not be); register it with {@link #callbackExecutor()}, on the builder, so it cannot miss the
   * first term.
   */
  public LeadershipListener listener(String election, String label) {
    synchronized (lock) {
      if (electionOf.putIfAbsent(label, election) != null) {
        throw new IllegalArgumentException("label '" + label + "' is already recorded in this history");
      }
      events.put(label, new ArrayList<>());
    }
    return new LeadershipListener() {
      @Override
      public void elected(Leadership term) {
        onElected(election, label, term);
      }

      @Override
      public void revoked(Leadership term, EndReason reason) {
        onRevoked(label, term, reason);
      }
    };
  }

  /**
   * Resigns the candidate and checks rule 1.6 when the stage completes: the term it held when the call was made
   * has ended ({@code isValid()} false, {@code ended()} complete). Returns the resign stage.
   */
  public CompletionStage<Void> resign(String label, Candidate candidate) {
    Optional<Leadership> held = candidate.leadership();
    long called = System.nanoTime();
    return candidate.resign().whenComplete((v, e) -> {
      if (e == null) {
        checkLeft(label, held, called, "resign()");
      }
    });
  }

  /**
   * Closes the candidate and checks rule 1.6 when {@code close()} returns: no term of the candidate is valid and
   * the one it held has ended. Afterwards every term of the candidate must be revoked (checked by
   * {@link #assertValid()}).
   */
  public void close(String label, Candidate candidate) {
    Optional<Leadership> held = candidate.leadership();
    long called = System.nanoTime();
    candidate.close();
    afterClose(label, candidate, held, called);
  }

  /** Records that a candidate's client was closed (which closes the candidate) and checks rule 1.6 for it. */
  public void closedWithClient(String label, Candidate candidate, Optional<Leadership> heldBefore, long calledNanos) {
    afterClose(label, candidate, heldBefore, calledNanos);
  }

  private void afterClose(String label, Candidate candidate, Optional<Leadership> held, long called) {
    long now = System.nanoTime();
    synchronized (lock) {
      closedAt.put(label, now);
    }
    checkLeft(label, held, called, "close()");
    if (candidate.isLeader()) {
      violation("rule 1.6: candidate " + label + " still reports isLeader() after close() returned", label);
    }
  }

  private void checkLeft(String label, Optional<Leadership> held, long called, String what) {
    if (held.isEmpty()) {
      return;
    }
    Leadership t = held.get();
    boolean valid = t.isValid();
    boolean ended = t.ended().toCompletableFuture().isDone();
    if (valid || !ended) {
      violation("rule 1.6: when " + what + " of " + label + " completed, its term token=" + t.token()
          + (valid ? " was still valid" : "") + (ended ? "" : " had not ended (ended() incomplete)"), label);
    }
  }

  /**
   * Waits until every term recorded as elected has had its {@code revoked} delivered when its candidate was closed,
   * and every ended term has been seen invalid by the sampler; at most {@code timeout}. Returns whether it got there
   * (if not, {@link #assertValid()} reports what is missing).
   */
  public boolean awaitQuiescence(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (quiet()) {
        return true;
      }
      Thread.sleep(5);
    }
    return quiet();
  }

  private boolean quiet() {
    synchronized (lock) {
      for (Rec r : terms) {
        if (closedAt.containsKey(r.label) && (r.revokedAt == 0 || r.firstInvalid == 0)) {
          return false;
        }
      }
      return true;
    }
  }

  /** A snapshot of the recorded terms, in start order. */
  public List<TermRecord> terms() {
    synchronized (lock) {
      List<TermRecord> out = new ArrayList<>();
      for (Rec r : sortedLocked()) {
        out.add(r.snapshot(origin));
      }
      return out;
    }
  }

  /** The terms of one label, in start order. */
  public List<TermRecord> terms(String label) {
    return terms().stream().filter(t -> t.label().equals(label)).toList();
  }

  /**
   * Violations found so far plus those of a full check now, ordered by rule number (1.1 first); empty when the
   * history is valid.
   */
  public List<String> violations() {
    synchronized (lock) {
      List<String> out = new ArrayList<>(violations);
      out.addAll(checkLocked());
      out.sort(Comparator.comparing(History::ruleKey));
      return out;
    }
  }

  /** Milliseconds since this history began recording: the clock its printed slices use. */
  double millisSinceOrigin() {
    return (System.nanoTime() - origin) / 1e6;
  }

  /** "rule 1.10: …" sorts after "rule 1.9: …". */
  static String ruleKey(String violation) {
    var m = java.util.regex.Pattern.compile("^rule (\\d+)\\.(\\d+)").matcher(violation);
    return m.find() ? String.format("%03d.%03d", Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) : "999";
  }

  /**
   * Throws an {@link AssertionError} whose message starts with the first violated rule ({@code "rule 1.1: …"}),
   * lists every violation, and prints the offending slice of the history.
   */
  public void assertValid() {
    List<String> v = violations();
    if (!v.isEmpty()) {
      StringBuilder sb = new StringBuilder(v.get(0));
      if (v.size() > 1) {
        sb.append("\n  (").append(v.size() - 1).append(" more violation(s)):");
        v.subList(1, Math.min(v.size(), 20)).forEach(x -> sb.append("\n  - ").append(x));
      }
      throw new AssertionError(sb.toString());
    }
  }

  /** Stops the sampler and the callback executor. */
  @Override
  public void close() {
    closed = true;
    sampler.interrupt();
    callbacks.shutdown();
  }

  // ---------------------------------------------------------------- recording

  private void onElected(String election, String label, Leadership term) {
    long now = System.nanoTime();
    checkThread(label, "elected");
    List<Rec> others;
    Rec rec;
    synchronized (lock) {
      rec = byTerm.get(term);
      events.get(label).add(new Event(true, term, now));
      if (rec != null) {
        violation("rule 3.1: elected delivered twice for term token=" + term.token() + " of " + label, label);
        return;
      }
      rec = new Rec(election, label, term, now);
      terms.add(rec);
      byTerm.put(term, rec);
      others = new ArrayList<>();
      for (Rec r : terms) {
        if (r != rec && r.election.equals(election) && r.firstInvalid == 0) {
          others.add(r);
        }
      }
    }
    // Sample the new term, then every other open term of the election: a predecessor still valid now overlaps.
    sample(rec);
    others.forEach(this::sample);
  }

  private void onRevoked(String label, Leadership term, EndReason reason) {
    long before = System.nanoTime();
    boolean valid = term.isValid();
    checkThread(label, "revoked");
    synchronized (lock) {
      events.get(label).add(new Event(false, term, before));
      Rec rec = byTerm.get(term);
      if (rec == null) {
        violation("rule 3.1: revoked(" + reason + ") delivered for term token=" + term.token() + " of " + label
            + " that was never elected", label);
        return;
      }
      if (rec.revokedAt != 0) {
        violation("rule 3.1: revoked delivered twice for term token=" + term.token() + " of " + label, label);
        return;
      }
      rec.revokedAt = before;
      rec.reason = reason;
      if (valid) {
        violation("rule 1.4: term token=" + term.token() + " of " + label + " was still valid when revoked("
            + reason + ") was delivered", label);
      }
    }
    term.ended().whenComplete((r, e) -> {
      long at = System.nanoTime();
      boolean stillValid = term.isValid();
      synchronized (lock) {
        if (rec(term) != null && rec(term).endedAt == 0) {
          rec(term).endedAt = at;
        }
        if (stillValid) {
          violation("rule 1.4: term token=" + term.token() + " of " + label + " was valid when ended() completed",
              label);
        }
      }
    });
  }

  private Rec rec(Leadership term) {
    return byTerm.get(term);
  }

  private void checkThread(String label, String what) {
    String thread = Thread.currentThread().getName();
    if (!thread.startsWith(poolName)) {
      synchronized (lock) {
        violation("rule 3.2: " + what + " for " + label + " ran on thread '" + thread
            + "', not on the executor given at registration", label);
      }
    }
  }

  private void sample(Rec r) {
    long before = System.nanoTime();
    boolean valid = r.term.isValid();
    long after = System.nanoTime();
    synchronized (lock) {
      if (valid) {
        if (r.firstInvalid != 0 && !r.resurrected) {
          r.resurrected = true;
          violation("rule 1.4: term token=" + r.term.token() + " of " + r.label + " was valid again at "
              + ms(before) + " after being seen invalid at " + ms(r.firstInvalid), r.label);
        }
        if (r.revokedAt != 0 && before - r.revokedAt > 0 && !r.validAfterRevoke) {
          r.validAfterRevoke = true;
          violation("rule 1.4: term token=" + r.term.token() + " of " + r.label + " was valid at " + ms(before)
              + " after revoked was delivered at " + ms(r.revokedAt), r.label);
        }
        Long closed = closedAt.get(r.label);
        if (closed != null && before - closed > 0 && !r.validAfterClose) {
          r.validAfterClose = true;
          violation("rule 1.6: term token=" + r.term.token() + " of " + r.label + " was valid at " + ms(before)
              + " after close() of its candidate returned at " + ms(closed), r.label);
        }
        if (before - r.lastValid > 0) {
          r.lastValid = before;
        }
      } else if (r.firstInvalid == 0) {
        r.firstInvalid = after;
      }
      r.samples++;
    }
  }

  private void sampleLoop() {
    List<Rec> open = new ArrayList<>();
    while (!closed) {
      open.clear();
      synchronized (lock) {
        for (Rec r : terms) {
          // Keep sampling a little after the end is known, to catch a term that becomes valid again.
          if (r.firstInvalid == 0 || r.samplesAfterInvalid < 20) {
            open.add(r);
            if (r.firstInvalid != 0) {
              r.samplesAfterInvalid++;
            }
          }
        }
      }
      open.forEach(this::sample);
      try {
        TimeUnit.MICROSECONDS.sleep(open.isEmpty() ? 2000 : 500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void violation(String message, String label) {
    violations.add(message + "\n" + sliceLocked(label));
  }

  // ---------------------------------------------------------------- checking

  private List<Rec> sortedLocked() {
    List<Rec> s = new ArrayList<>(terms);
    s.sort(Comparator.comparingLong((Rec r) -> r.term.startedNanos() - origin));
    return s;
  }

  private List<String> checkLocked() {
    List<String> out = new ArrayList<>();
    Map<String, List<Rec>> byElection = new LinkedHashMap<>();
    for (Rec r : sortedLocked()) {
      byElection.computeIfAbsent(r.election, e -> new ArrayList<>()).add(r);
    }
    for (var e : byElection.entrySet()) {
      List<Rec> line = e.getValue();
      // 1.1: certainly-valid intervals [start, lastValid] never intersect.
      for (int i = 0; i < line.size(); i++) {
        Rec a = line.get(i);
        if (a.lastValid == 0) {
          continue;
        }
        for (int j = i + 1; j < line.size(); j++) {
          Rec b = line.get(j);
          if (b.lastValid == 0) {
            continue;
          }
          long start = b.term.startedNanos();
          long end = a.lastValid - b.lastValid < 0 ? a.lastValid : b.lastValid;
          if (start - end < 0) {
            out.add("rule 1.1: two terms of election '" + e.getKey() + "' were valid at once: " + a.label
                + " (token=" + a.term.token() + ") was still valid at " + ms(a.lastValid) + " after " + b.label
                + " (token=" + b.term.token() + ") started at " + ms(start) + "\n" + sliceLocked(line, i, j));
          }
        }
      }
      // 1.2: tokens strictly increase from term to term.
      for (int i = 1; i < line.size(); i++) {
        Rec a = line.get(i - 1);
        Rec b = line.get(i);
        long ta = a.term.token();
        long tb = b.term.token();
        if (tb < ta || (tb == ta && !a.label.equals(b.label))) {
          out.add("rule 1.2: token went " + (tb < ta ? "back" : "unchanged to another candidate") + " in election '"
              + e.getKey() + "': " + a.label + " held token=" + ta + ", then " + b.label + " held token=" + tb
              + "\n" + sliceLocked(line, i - 1, i));
        }
      }
      Map<Long, String> owners = new LinkedHashMap<>();
      for (Rec r : line) {
        String prev = owners.putIfAbsent(r.term.token(), r.label);
        if (prev != null && !prev.equals(r.label)) {
          out.add("rule 1.2: candidates " + prev + " and " + r.label + " both held token=" + r.term.token()
              + " in election '" + e.getKey() + "'\n" + sliceLocked(r.label));
        }
      }
    }
    // 3.1: callbacks alternate per candidate, elected first, revoked for the same term.
    for (var e : events.entrySet()) {
      Leadership open = null;
      for (Event ev : e.getValue()) {
        if (ev.elected) {
          if (open != null) {
            out.add("rule 3.1: " + e.getKey() + " got elected(token=" + ev.term.token() + ") while term token="
                + open.token() + " was not revoked\n" + sliceLocked(e.getKey()));
            break;
          }
          open = ev.term;
        } else {
          if (open == null || open != ev.term) {
            out.add("rule 3.1: " + e.getKey() + " got revoked(token=" + ev.term.token() + ") "
                + (open == null ? "without a preceding elected" : "while term token=" + open.token() + " was open")
                + "\n" + sliceLocked(e.getKey()));
            break;
          }
          open = null;
        }
      }
      if (open != null && closedAt.containsKey(e.getKey())) {
        out.add("rule 3.1: " + e.getKey() + " was closed but its term token=" + open.token()
            + " was never revoked\n" + sliceLocked(e.getKey()));
      }
    }
    return out;
  }

  private String sliceLocked(String label) {
    List<Rec> all = sortedLocked();
    int lo = -1;
    int hi = -1;
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).label.equals(label)) {
        lo = lo < 0 ? i : lo;
        hi = i;
      }
    }
    if (lo < 0) {
      return "  history: (no term of " + label + " recorded; " + all.size() + " term(s) in total)";
    }
    return sliceLocked(all, lo, hi);
  }

  private String sliceLocked(List<Rec> all, int lo, int hi) {
    int from = Math.max(0, lo - 2);
    int to = Math.min(all.size(), hi + 3);
    StringBuilder sb = new StringBuilder("  history (ms since recording began; terms ")
        .append(from + 1).append('-').append(to).append(" of ").append(all.size()).append("):");
    for (int i = from; i < to; i++) {
      sb.append("\n    ").append(i >= lo && i <= hi ? "> " : "  ").append(all.get(i).snapshot(origin));
    }
    return sb.toString();
  }

  private String ms(long nanos) {
    return String.format("%.3fms", (nanos - origin) / 1e6);
  }

  /** One recorded term, times in milliseconds since the history began (0 when not observed). */
  public record TermRecord(
      String election,
      String label,
      String candidateId,
      long token,
      double startMs,
      double electedMs,
      double lastValidMs,
      double firstInvalidMs,
      double revokedMs,
      EndReason reason) {
    @Override
    public String toString() {
      return String.format("%s %-12s token=%-8d start=%.3f elected=%.3f lastValid=%s firstInvalid=%s revoked=%s%s",
          election, label, token, startMs, electedMs, fmt(lastValidMs), fmt(firstInvalidMs), fmt(revokedMs),
          reason == null ? "" : " (" + reason + ")");
    }

    private static String fmt(double v) {
      return Double.isNaN(v) ? "-" : String.format("%.3f", v);
    }
  }

  private record Event(boolean elected, Leadership term, long nanos) {}

  private static final class Rec {
    final String election;
    final String label;
    final Leadership term;
    final long electedAt;
    long lastValid;
    long firstInvalid;
    long revokedAt;
    long endedAt;
    EndReason reason;
    int samples;
    int samplesAfterInvalid;
    boolean resurrected;
    boolean validAfterRevoke;
    boolean validAfterClose;

    Rec(String election, String label, Leadership term, long electedAt) {
      this.election = election;
      this.label = label;
      this.term = term;
      this.electedAt = electedAt;
    }

    TermRecord snapshot(long origin) {
      return new TermRecord(election, label, term.candidateId(), term.token(), rel(term.startedNanos(), origin),
          rel(electedAt, origin), rel(lastValid, origin), rel(firstInvalid, origin), rel(revokedAt, origin), reason);
    }

    private static double rel(long nanos, long origin) {
      return nanos == 0 ? Double.NaN : (nanos - origin) / 1e6;
    }
  }
}
