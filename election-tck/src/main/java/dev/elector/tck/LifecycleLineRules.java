package dev.elector.tck;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.tck.TckFixture.Capability;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 4, Lifecycle and input, rules 4.6 to 4.9, what stands in the line: data updates and data at the maximum
 * size (4.6), a hundred candidates at once (4.7), entries Elector did not write and nested roots (4.8), and {@code
 * joined()} (4.9). {@link LifecycleRules} extends it; {@link ElectionTck} nests it, handing it the current test's
 * {@link TestContext}.
 */
abstract class LifecycleLineRules extends AreaRules {
  /** Names of foreign entries (SPEC rule 4.8): not a ticket name of any bundled backend. */
  private static final String FOREIGN_BEFORE = "operator-note";
  private static final String FOREIGN_BETWEEN = "zz-other-tool";

  /**
   * Verifies rule 4.6: {@code updateData} is visible in {@code participants()}, {@code leader()} and to
   * observers, with the same token.
   *
   * <p>If this test fails, check that the backend's update changes the ticket's data in place and that a data
   * change of the head fires the head watch.
   */
  @Test
  @DisplayName("4.6 Data updates are visible to participants(), leader() and observers")
  void required_rule4_6_dataUpdatesAreVisible() throws Exception {
    String e = election("data");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership ta = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(ca, e, "b");
    ObserverLog obs = test().observe(cb, e, "data-observer");
    test().await("5.1", "observer's first report", test().bounds.operation(), () -> !obs.seen().isEmpty());
    test().get("4.6", a.updateData("a-v2".getBytes(StandardCharsets.UTF_8)));
    test().get("4.6", b.updateData("b-v2".getBytes(StandardCharsets.UTF_8)));
    check(new String(a.data(), StandardCharsets.UTF_8).equals("a-v2"), "4.6",
        () -> "data() after update is " + new String(a.data(), StandardCharsets.UTF_8));
    test().await("4.6", () -> "participants() shows the new data\n" + test().lineText(e),
        test().bounds.operation(), () -> {
      List<Participant> line = lineOf(cb, e);
      return line.size() == 2 && line.get(0).dataAsString().equals("a-v2")
          && line.get(1).dataAsString().equals("b-v2");
    });
    Optional<Participant> leader = test().get("4.6", cb.client.election(e).leader());
    check(leader.isPresent() && leader.get().dataAsString().equals("a-v2") && leader.get().token() == ta.token(),
        "4.6", () -> "leader() after the update is " + leader);
    check(obs.awaitFrom(0, p -> p.isPresent() && p.get().dataAsString().equals("a-v2")
        && p.get().token() == ta.token(), test().bounds.operation()) >= 0, "4.6",
        () -> "observer never saw the new data\n" + obs.describe());
    obs.assertValid();
    closeAndCheck("a", "b");
  }

  /**
   * Verifies rule 4.9: {@code joined()} completes only once the candidate's ticket is in line, so one read of
   * {@code participants()} made after it lists the candidate, behind those that joined before; a candidate closed
   * before its join reached the service fails the stage with {@code ClosedException} or completes it (the join
   * won the race), and never leaves it pending.
   *
   * <p>If this test fails, check that the backend's enqueue completes only after the ticket is committed and
   * visible to a line read.
   */
  @Test
  @DisplayName("4.9 joined() completes when the ticket is in line")
  void required_rule4_9_joinedCompletesWhenTheTicketIsInLine() throws Exception {
    String e = election("joined");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    test().get("4.9", a.joined());
    for (String id : List.of("b", "c", "d")) {
      Candidate x = test().join(ca, e, id);
      test().get("4.9", x.joined());
      List<String> line = lineIds(cb, e);
      check(!line.isEmpty() && line.get(line.size() - 1).equals(id), "4.9",
          () -> "participants() read on another client right after " + id + "'s joined() is " + line
              + ", expected it last in line");
    }
    Candidate late = cb.client.election(e).join("late");
    late.close();
    CompletableFuture<Void> j = late.joined().toCompletableFuture();
    test().await("4.9", "joined() of a candidate closed at once is still pending", test().bounds.operation(),
        j::isDone);
    if (j.isCompletedExceptionally()) {
      Throwable why = j.handle((v, err) -> err).join();
      Throwable cause = why instanceof java.util.concurrent.CompletionException ? why.getCause() : why;
      check(cause instanceof ClosedException, "4.9", () -> "joined() of a closed candidate failed with " + cause);
    }
    closeAndCheck("a", "b", "c", "d");
  }

  /**
   * Verifies rule 4.7: a hundred candidates joining at once on four clients leave exactly one leader, and an empty
   * line when all have left at once.
   *
   * <p>If this test fails, check that concurrent enqueues all get distinct places and that a burst of deletions
   * wakes exactly the waiters whose predecessors went.
   */
  @Test
  @DisplayName("4.7 A hundred candidates join and leave at once")
  void required_rule4_7_hundredCandidatesJoinAndLeaveAtOnce() throws Exception {
    String e = election("hundred");
    List<TckClient> cs = List.of(test().client(), test().client(), test().client(), test().client());
    TckClient watcher = test().client();
    ObserverLog obs = test().observe(watcher, e, "hundred-observer");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      labels.add("h" + i);
    }
    runAll(labels, l -> test().joinAsync(cs.get(Integer.parseInt(l.substring(1)) % 4), e, l));
    test().await("4.7", () -> "all hundred in line, saw " + lineSize(watcher, e), test().bounds.election(),
        () -> lineSize(watcher, e) == 100);
    String leader = test().awaitOneLeader("4.7", labels, test().bounds.election());
    List<Participant> line = lineOf(watcher, e);
    check(line.get(0).candidateId().equals(leader), "4.7",
        () -> leader + " leads but the head of the line is " + line.get(0).candidateId());
    for (int i = 1; i < line.size(); i++) {
      int j = i;
      check(line.get(j).token() > line.get(j - 1).token(), "5.5", () -> "line tokens not increasing at " + j);
    }
    runAll(labels, l -> test().close(l));
    test().await("4.7", () -> "empty line after all left, saw " + lineSize(watcher, e), test().bounds.election(),
        () -> lineSize(watcher, e) == 0);
    Optional<Participant> none = test().get("4.7", watcher.client.election(e).leader());
    check(none.isEmpty(), "4.7", () -> "leader() after all left is " + none);
    check(obs.awaitFrom(1, Optional::isEmpty, test().bounds.operation()) >= 0, "5.2",
        () -> "observer never saw 'no leader' after all left\n" + obs.describe());
    obs.assertValid();
    assertHistory();
  }

  private void runAll(List<String> labels, Consumer<String> action) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Void>> fs = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (String l : labels) {
        fs.add(CompletableFuture.runAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
          action.accept(l);
        }, pool));
      }
      go.countDown();
      CompletableFuture.allOf(fs.toArray(CompletableFuture<?>[]::new))
          .get(test().bounds.election().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (ExecutionException ex) {
      if (ex.getCause() instanceof AssertionError ae) {
        throw ae;
      }
      throw ex;
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------ foreign entries, nested roots, big data

  /**
   * Verifies rule 4.8 for entries an operator or another tool wrote under the election: one written before the
   * first candidate joins and one between two candidates. The first candidate is elected promptly, and
   * {@code participants()}, {@code leader()} and observers report only the candidates, through a handoff and after
   * all have left.
   *
   * <p>If this test fails, check how the backend tells its tickets from other entries (by name, never by position)
   * and that the line read, the head watch and the waiters' predecessor look-up all apply the same test.
   */
  @Test
  @DisplayName("4.8 Entries Elector did not write never block the line and never show")
  void required_rule4_8_foreignEntriesNeverBlockNorShow() throws Exception {
    require(Capability.OPERATOR);
    String e = election("foreign");
    TckClient c = test().client();
    TckClient w = test().client();
    ObserverLog obs = test().observe(w, e, "foreign-observer");
    test().fixture.putForeignEntry(e, FOREIGN_BEFORE, "written by an operator".getBytes(StandardCharsets.UTF_8));
    Candidate a = test().joinAsync(c, e, "a");
    test().awaitLeader("4.8", a, test().bounds.election());
    test().fixture.putForeignEntry(e, FOREIGN_BETWEEN, "written by another tool".getBytes(StandardCharsets.UTF_8));
    Candidate b = test().join(c, e, "b");
    List<String> line = lineIds(w, e);
    check(line.equals(List.of("a", "b")), "4.8", () -> "participants() with two foreign entries in the election "
        + "is " + line + ", expected [a, b]");
    Optional<Participant> leader = test().get("4.8", w.client.election(e).leader());
    check(leader.isPresent() && leader.get().candidateId().equals("a"), "4.8", () -> "leader() is " + leader);
    test().get("2.6", test().history.resign("a", a));
    test().awaitLeader("4.8", b, test().bounds.handoff());
    test().await("4.8", () -> "participants() after a's resign is " + lineIds(w, e) + ", expected [b, a]",
        test().bounds.operation(), () -> lineIds(w, e).equals(List.of("b", "a")));
    test().close("b");
    test().close("a");
    test().await("4.8", () -> "participants() after every candidate left is " + lineIds(w, e),
        test().bounds.operation(), () -> lineSize(w, e) == 0);
    Optional<Participant> none = test().get("4.8", w.client.election(e).leader());
    check(none.isEmpty(), "4.8", () -> "leader() after every candidate left is " + none);
    check(obs.awaitFrom(1, Optional::isEmpty, test().bounds.operation()) >= 0, "4.8",
        () -> "the observer never saw 'no leader' after every candidate left\n" + obs.describe());
    List<String> reported = obs.seen().stream().flatMap(Optional::stream).map(Participant::candidateId).toList();
    check(Set.of("a", "b").containsAll(reported), "4.8", () -> "an observer reported " + reported + "\n"
        + obs.describe());
    obs.assertValid();
    assertHistory();
  }

  /**
   * Verifies rule 4.8 for two applications with nested roots: one uses root R and election E, the other root
   * R/E (inside the first one's election) and its own election. The inner application's candidates join first;
   * each application elects its own first candidate promptly and sees only its own participants, leader and
   * handoffs.
   *
   * <p>If this test fails, check that the backend reads an election's line one level deep only (etcd: a range
   * over {@code root/election/} also matches {@code root/election/inner/…}), and that nested containers are not
   * taken for tickets.
   */
  @Test
  @DisplayName("4.8 Two applications with nested roots never share a line")
  void required_rule4_8_nestedRootsNeverShareALine() throws Exception {
    String e = election("nested");
    String inner = election("inner");
    TckClient outer = test().client();
    String root = outer.config.root();
    String nested = (root.endsWith("/") ? root : root + "/") + e;
    TckClient in = test().client(cfg -> cfg.toBuilder().root(nested).build());
    ObserverLog outerObs = test().observe(outer, e, "outer-observer");
    ObserverLog innerObs = test().observe(in, inner, "inner-observer");
    Candidate i1 = test().join(in, inner, "in1");
    Candidate i2 = test().join(in, inner, "in2");
    Candidate o1 = test().joinAsync(outer, e, "out1");
    test().awaitLeader("4.8", o1, test().bounds.election());
    test().awaitLeader("4.8", i1, test().bounds.election());
    Candidate o2 = test().join(outer, e, "out2");
    check(lineIds(outer, e).equals(List.of("out1", "out2")), "4.8", () -> "the application with root " + root
        + " lists " + lineIds(outer, e) + " in " + e + ", expected [out1, out2]");
    check(lineIds(in, inner).equals(List.of("in1", "in2")), "4.8", () -> "the application with root " + nested
        + " lists " + lineIds(in, inner) + " in " + inner + ", expected [in1, in2]");
    Optional<Participant> lo = test().get("4.8", outer.client.election(e).leader());
    check(lo.isPresent() && lo.get().candidateId().equals("out1"), "4.8", () -> "outer leader() is " + lo);
    test().get("2.6", test().history.resign("out1", o1));
    test().awaitLeader("4.8", o2, test().bounds.handoff());
    test().get("2.6", test().history.resign("in1", i1));
    test().awaitLeader("4.8", i2, test().bounds.handoff());
    check(outerObs.awaitFrom(0, p -> p.isPresent() && p.get().candidateId().equals("out2"),
        test().bounds.operation()) >= 0, "4.8", () -> "outer observer never saw out2\n" + outerObs.describe());
    check(innerObs.awaitFrom(0, p -> p.isPresent() && p.get().candidateId().equals("in2"),
        test().bounds.operation()) >= 0, "4.8", () -> "inner observer never saw in2\n" + innerObs.describe());
    for (ObserverLog o : List.of(outerObs, innerObs)) {
      String prefix = o == outerObs ? "out" : "in";
      List<String> reported = o.seen().stream().flatMap(Optional::stream).map(Participant::candidateId).toList();
      check(reported.stream().allMatch(id -> id.startsWith(prefix)), "4.8",
          () -> "an observer of one application reported the other's candidates\n" + o.describe());
      o.assertValid();
    }
    closeAndCheck("out1", "out2", "in1", "in2");
  }

  /**
   * Verifies rules 4.6, 5.1 and 5.5 at the maximum data size ({@link ClientConfig#MAX_DATA_BYTES_LIMIT}): a dozen
   * candidates (more with {@code -Delector.tck.maxDataCandidates=N}) each holding that much data, and two
   * observers. {@code leader()} answers, {@code participants()} lists every candidate in order with its data,
   * observers get their first report and every change through two handoffs, and an update at the maximum size is
   * visible everywhere.
   *
   * <p>If this test fails, check the size of the backend's reads: a line read with values grows with the number
   * of candidates times their data, past a client library's inbound message limit.
   */
  @Test
  @DisplayName("4.6 Many candidates at the maximum data size, with observers")
  void required_rule4_6_maximumSizeDataWithObservers() throws Exception {
    int max = ClientConfig.MAX_DATA_BYTES_LIMIT;
    int n = Integer.getInteger("elector.tck.maxDataCandidates", 12);
    java.util.function.UnaryOperator<ClientConfig> big = cfg -> cfg.toBuilder().maxDataBytes(max).build();
    String e = election("max-data");
    List<TckClient> cs = List.of(test().client(big), test().client(big), test().client(big));
    TckClient watcher = test().client(big);
    ObserverLog early = test().observe(watcher, e, "max-data-observer");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String l = "m" + i;
      labels.add(l);
      test().joinAsync(cs.get(i % cs.size()), e, l, fill(l, max));
      List<String> sofar = List.copyOf(labels);
      test().await("4.6", () -> l + " not listed by participants() with " + sofar.size() + " candidates of " + max
          + " bytes: " + lineIds(watcher, e), test().bounds.election(), () -> lineIds(watcher, e).equals(sofar));
    }
    ObserverLog late = test().observe(cs.get(0), e, "max-data-late-observer");
    test().awaitLeader("2.1", test().candidate("m0"), test().bounds.election());
    Optional<Participant> leader = test().get("4.6", watcher.client.election(e).leader());
    check(leader.isPresent() && leader.get().candidateId().equals("m0")
        && java.util.Arrays.equals(leader.get().data(), fill("m0", max)), "4.6",
        () -> "leader() with " + n + " candidates of " + max + " bytes is " + leader.map(p -> p.candidateId()
            + " with " + p.data().length + " bytes"));
    List<Participant> line = lineOf(watcher, e);
    check(line.stream().map(Participant::candidateId).toList().equals(labels), "5.5",
        () -> "participants() lists " + line.stream().map(Participant::candidateId).toList());
    for (Participant p : line) {
      check(java.util.Arrays.equals(p.data(), fill(p.candidateId(), max)), "4.6",
          () -> "participants() gives " + p.candidateId() + " " + p.data().length + " bytes, not its data");
    }
    for (int h = 0; h < 2; h++) {
      String from = labels.get(h);
      String to = labels.get(h + 1);
      test().get("2.6", test().history.resign(from, test().candidate(from)));
      test().awaitLeader("2.2", test().candidate(to), test().bounds.handoff());
      for (ObserverLog o : List.of(early, late)) {
        check(o.awaitFrom(0, p -> p.isPresent() && p.get().candidateId().equals(to)
            && java.util.Arrays.equals(p.get().data(), fill(to, max)), test().bounds.operation()) >= 0, "5.1",
            () -> o + " never reported " + to + " with its data\n" + o.describe());
      }
    }
    String head = labels.get(2);
    byte[] v2 = fill(head + "-v2", max);
    test().get("4.6", test().candidate(head).updateData(v2));
    test().await("4.6", () -> "participants() shows " + head + "'s new data", test().bounds.operation(),
        () -> java.util.Arrays.equals(lineOf(watcher, e).get(0).data(), v2));
    Optional<Participant> updated = test().get("4.6", watcher.client.election(e).leader());
    check(updated.isPresent() && java.util.Arrays.equals(updated.get().data(), v2), "4.6",
        () -> "leader() does not show " + head + "'s update at the maximum size");
    for (ObserverLog o : List.of(early, late)) {
      check(o.awaitFrom(0, p -> p.isPresent() && java.util.Arrays.equals(p.get().data(), v2),
          test().bounds.operation()) >= 0, "4.6", () -> o + " never reported " + head + "'s update\n");
      o.assertValid();
    }
    closeAndCheck(labels.toArray(new String[0]));
  }

  /** {@code size} bytes: the label, then a pattern that differs per label, so a mixed-up payload shows. */
  private static byte[] fill(String label, int size) {
    byte[] b = new byte[size];
    byte[] l = label.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < size; i++) {
      b[i] = i < l.length ? l[i] : (byte) (l[i % l.length] + i / l.length);
    }
    return b;
  }
}
