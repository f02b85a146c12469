package dev.elector.zookeeper;

import static dev.elector.zookeeper.ZkBackends.await;
import static dev.elector.zookeeper.ZkBackends.head;
import static dev.elector.zookeeper.ZkBackends.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent.Kind;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The backend's primitives against a real in-process ZooKeeper server. */
class ZkBackendTest {
  @RegisterExtension static final SingleZk zk = new SingleZk();
  private static final AtomicInteger ROOTS = new AtomicInteger();

  private ZkBackends fx;
  private String root;

  @BeforeEach
  void setUp() {
    fx = new ZkBackends(zk.server());
    root = "/backend-test-" + ROOTS.incrementAndGet();
  }

  @AfterEach
  void tearDown() throws Exception {
    fx.close();
  }

  private static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(ZkBackends.WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("expected a failure, got " + e, e);
    }
    throw new AssertionError("expected a failure, but it completed normally");
  }

  @Test
  void tenCandidatesElectExactlyTheFirstInLine() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    ZkBackend b = fx.backend(root, new Recorder());
    List<Ticket> tickets = new ArrayList<>();
    List<CompletableFuture<Void>> heads = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ZkBackend on = i % 2 == 0 ? a : b;
      Ticket t = join(on, "e", "c" + i);
      tickets.add(t);
      heads.add(head(on, t));
    }
    await(heads.get(0));
    for (int i = 1; i < 10; i++) {
      assertThat(tickets.get(i).token()).isGreaterThan(tickets.get(i - 1).token());
    }
    List<Participant> line = await(a.line("e"));
    assertThat(line).extracting(Participant::candidateId)
        .containsExactly("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");
    assertThat(line).extracting(Participant::token).containsExactlyElementsOf(tickets.stream().map(Ticket::token)
        .toList());
    assertThat(line.get(3).dataAsString()).isEqualTo("c3");
    // Walk the line: each removal elects exactly the next one.
    for (int i = 0; i < 9; i++) {
      for (int j = i + 1; j < 10; j++) {
        assertThat(heads.get(j)).as("c%d must not lead while c%d does", j, i).isNotDone();
      }
      await((i % 2 == 0 ? a : b).remove(tickets.get(i)));
      await(heads.get(i + 1));
    }
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("c9");
  }

  @Test
  void closingTheLeadersBackendHandsOffAtOnce() throws Exception {
    // Long sessions make "at once" unmistakable: without the close, the successor would wait 8 s for the expiry.
    Duration session = Duration.ofSeconds(8);
    ClientConfig config = ZkBackends.config(zk.server().endpoint(), root).toBuilder().sessionTimeout(session).build();
    ZkBackend a = fx.backend(config, new Recorder());
    ZkBackend b = fx.backend(config, new Recorder());
    Ticket ta = join(a, "e", "a");
    Ticket tb = join(b, "e", "b");
    await(head(a, ta));
    CompletableFuture<Void> hb = head(b, tb);
    long start = System.nanoTime();
    a.close();
    // Closing deletes the ephemeral node at once; a session timeout must not be needed (rule 2.2).
    hb.get(session.toMillis() / 2, java.util.concurrent.TimeUnit.MILLISECONDS);
    System.out.printf("handoff on close: %.1f ms%n", (System.nanoTime() - start) / 1e6);
    assertThat(tb.token()).isGreaterThan(ta.token());
  }

  @Test
  void removeReleasesAPendingWaitAndResignGoesToTheBack() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    Ticket t1 = join(a, "e", "a");
    Ticket t2 = join(a, "e", "b");
    await(head(a, t1));
    CompletableFuture<Void> h2 = head(a, t2);
    // Resign: leave and rejoin at the back.
    await(a.remove(t1));
    Ticket t1again = join(a, "e", "a");
    await(h2);
    CompletableFuture<Void> h1 = head(a, t1again);
    assertThat(t1again.token()).isGreaterThan(t2.token());
    await(a.remove(t1again));
    assertThat(failure(h1)).isInstanceOf(TicketLostException.class);
    // Removing twice succeeds: it is already gone.
    await(a.remove(t1again));
    assertThat(await(a.line("e"))).extracting(Participant::candidateId).containsExactly("b");
  }

  @Test
  void aSecondWaitSupersedesTheFirst() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    Ticket t1 = join(a, "e", "a");
    Ticket t2 = join(a, "e", "b");
    head(a, t2);
    CompletableFuture<Void> second = head(a, t2);
    await().atMost(ZkBackends.WAIT).until(() -> a.predecessorWatches.get() == 1);
    long before = a.predecessorWakeups.get();
    await(a.remove(t1));
    await(second);
    assertThat(a.predecessorWakeups.get() - before).isEqualTo(1);
  }

  @Test
  void anExternallyDeletedTicketIsReportedLost() throws Exception {
    Recorder ra = new Recorder();
    Recorder rb = new Recorder();
    ZkBackend a = fx.backend(root, ra);
    ZkBackend b = fx.backend(root, rb);
    ZkBackend c = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    Ticket tb = join(b, "e", "b");
    Ticket tc = join(c, "e", "c");
    await(head(a, ta));
    CompletableFuture<Void> hb = head(b, tb);
    CompletableFuture<Void> hc = head(c, tc);
    ZooKeeper op = fx.raw();
    // A follower's node deleted by an operator: it is told, and its wait fails.
    op.delete(tb.key(), -1);
    assertThat(failure(hb)).isInstanceOf(TicketLostException.class).hasMessageContaining(tb.key());
    await().atMost(ZkBackends.WAIT).until(() -> rb.lost().contains(tb));
    // The leader's node deleted: it is told, and the next in line leads.
    op.delete(ta.key(), -1);
    await().atMost(ZkBackends.WAIT).until(() -> ra.lost().contains(ta));
    await(hc);
    assertThat(failure(head(a, ta))).isInstanceOf(TicketLostException.class);
  }

  @Test
  void tokensIncreaseAfterTheElectionNodeIsDeletedAndRecreated() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    Ticket first = join(a, "e", "a");
    Ticket second = join(a, "e", "b");
    await(a.remove(first));
    await(a.remove(second));
    ZooKeeper op = fx.raw();
    ZKUtil.deleteRecursive(op, root);
    assertThat(op.exists(root, false)).isNull();
    Ticket third = join(a, "e", "c");
    // The sequence restarted with the recreated parent; the token did not.
    assertThat(TicketNames.sequence(third.key().substring(third.key().lastIndexOf('/') + 1))).isZero();
    assertThat(third.token()).isGreaterThan(second.token());
    await(head(a, third));
  }

  @Test
  void serverSideExpiryFailsTheWaitAndOpensANewSession() throws Exception {
    Recorder ra = new Recorder();
    ZkBackend a = fx.backend(root, ra);
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    await(head(a, ta));
    Ticket tb = join(b, "e", "b");
    CompletableFuture<Void> hb = head(b, tb);
    Ticket ta2 = join(a, "e", "a2");
    CompletableFuture<Void> ha2 = head(a, ta2);
    long old = a.sessionId();
    zk.server().expire(old);
    await(hb);
    assertThat(failure(ha2)).isInstanceOf(SessionLostException.class)
        .matches(e -> ((SessionLostException) e).expired());
    await().atMost(ZkBackends.WAIT).until(() -> a.sessionId() != 0 && a.sessionId() != old);
    assertThat(ra.kinds()).containsSubsequence(Kind.CONNECTED, Kind.EXPIRED, Kind.CONNECTED);
    assertThat(ra.events().get(ra.events().size() - 1).sessionId()).isEqualTo(a.sessionId());
    assertThat(a.sessionDeadline() - System.nanoTime()).isPositive();
    // The old ticket is gone with its session; a new one goes to the back of the line.
    assertThat(failure(head(a, ta))).isInstanceOf(SessionLostException.class);
    Ticket ta3 = join(a, "e", "a3");
    assertThat(ta3.sessionId()).isEqualTo(a.sessionId());
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("b", "a3");
  }

  @Test
  void closeFailsPendingWorkAndReportsClosed() throws Exception {
    Recorder ra = new Recorder();
    ZkBackend a = fx.backend(root, ra);
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket tb = join(b, "e", "b");
    Ticket ta = join(a, "e", "a");
    CompletableFuture<Void> ha = head(a, ta);
    a.close();
    a.close();
    assertThat(failure(ha)).isInstanceOf(ClosedException.class);
    assertThat(failure(a.enqueue("e", "x", new byte[0]).toCompletableFuture())).isInstanceOf(ClosedException.class);
    await().atMost(ZkBackends.WAIT).until(() -> ra.kinds().contains(Kind.CLOSED));
    assertThat(ra.kinds()).containsExactly(Kind.CONNECTED, Kind.CLOSED);
    assertThat(a.sessionDeadline() - System.nanoTime()).isNegative();
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("b");
    await(head(b, tb));
  }

  @Test
  void observationReportsTheHeadItsDataAndNoLeader() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    ZkBackend obs = fx.backend(root, new Recorder());
    List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
    HeadWatch w = obs.watchHead("e", new HeadListener() {
      @Override
      public void headChanged(Optional<Participant> head) {
        seen.add(head);
      }

      @Override
      public void failed(Throwable cause) {
        seen.add(null);
      }
    });
    // The election node does not exist yet.
    await().atMost(ZkBackends.WAIT).until(() -> seen.size() == 1);
    assertThat(seen.get(0)).isEmpty();
    Ticket t1 = join(a, "e", "a");
    Ticket t2 = join(a, "e", "b");
    await().atMost(ZkBackends.WAIT).until(() -> seen.size() == 2);
    assertThat(seen.get(1)).hasValueSatisfying(p -> {
      assertThat(p.candidateId()).isEqualTo("a");
      assertThat(p.token()).isEqualTo(t1.token());
    });
    await(a.update(t1, "new".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    await().atMost(ZkBackends.WAIT).until(() -> seen.size() == 3);
    assertThat(seen.get(2)).hasValueSatisfying(p -> assertThat(p.dataAsString()).isEqualTo("new"));
    assertThat(await(a.line("e")).get(0).dataAsString()).isEqualTo("new");
    await(a.remove(t1));
    await().atMost(ZkBackends.WAIT).until(() -> seen.size() == 4);
    assertThat(seen.get(3)).hasValueSatisfying(p -> assertThat(p.token()).isEqualTo(t2.token()));
    await(a.remove(t2));
    await().atMost(ZkBackends.WAIT).until(() -> seen.size() == 5);
    assertThat(seen.get(4)).isEmpty();
    w.cancel();
    join(a, "e", "c");
    // After cancel nothing more arrives; the line itself shows the new candidate.
    assertThat(await(a.line("e"))).hasSize(1);
    assertThat(seen).hasSize(5);
  }

  @Test
  void updateOfAGoneTicketFails() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    Ticket t = join(a, "e", "a");
    await(a.remove(t));
    assertThat(failure(a.update(t, new byte[] {1}).toCompletableFuture())).isInstanceOf(TicketLostException.class);
  }

  @Test
  void aThousandCandidatesWakeOneNodePerHandoff() throws Exception {
    List<ZkBackend> backends = new ArrayList<>();
    // Long sessions: listing a 1000-long line 1000 times keeps a loaded machine busy for a while, and a
    // 2 s session's read timeout would turn that into disconnects.
    ClientConfig config = ZkBackends.config(zk.server().endpoint(), root).toBuilder()
        .sessionTimeout(Duration.ofSeconds(20))
        .build();
    for (int i = 0; i < 4; i++) {
      backends.add(fx.backend(config, new Recorder()));
    }
    int n = 1000;
    List<CompletableFuture<Ticket>> joins = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      joins.add(backends.get(i % 4).enqueue("big", "c" + i, new byte[0]).toCompletableFuture());
    }
    List<Ticket> tickets = new ArrayList<>();
    for (CompletableFuture<Ticket> j : joins) {
      tickets.add(await(j));
    }
    tickets.sort(java.util.Comparator.comparingLong(Ticket::token));
    List<CompletableFuture<Void>> heads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      heads.add(head(backends.get(Integer.parseInt(tickets.get(i).candidateId().substring(1)) % 4), tickets.get(i)));
    }
    await(heads.get(0));
    // Every follower has set its one predecessor watch.
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(backends.stream()
        .mapToLong(b -> b.predecessorWatches.get()).sum()).isEqualTo(n - 1));
    long before = wakeups(backends);
    int handoffs = 200;
    for (int i = 0; i < handoffs; i++) {
      Ticket t = tickets.get(i);
      await(backends.get(Integer.parseInt(t.candidateId().substring(1)) % 4).remove(t));
      await(heads.get(i + 1));
      assertThat(heads.get(i + 2)).isNotDone();
    }
    // Exactly one waiting node woke per handoff: no herd.
    assertThat(wakeups(backends) - before).isEqualTo(handoffs);
  }

  @Test
  void twoThousandJoiningCandidatesShareLineListings() throws Exception {
    List<ZkBackend> backends = new ArrayList<>();
    List<Recorder> recorders = new ArrayList<>();
    ClientConfig config = ZkBackends.config(zk.server().endpoint(), root).toBuilder()
        .sessionTimeout(Duration.ofSeconds(20))
        .build();
    int sessions = 4;
    for (int i = 0; i < sessions; i++) {
      Recorder r = new Recorder();
      recorders.add(r);
      backends.add(fx.backend(config, r));
    }
    int n = 2000;
    List<CompletableFuture<Ticket>> joins = new ArrayList<>();
    List<CompletableFuture<Void>> heads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ZkBackend b = backends.get(i % sessions);
      CompletableFuture<Ticket> j = b.enqueue("crowd", "c" + i, new byte[0]).toCompletableFuture();
      joins.add(j);
      // Each waits as soon as its own create is acknowledged, as the engine does: most ask while a listing of the
      // line is in flight, which (sent before their create was acknowledged) need not contain them.
      heads.add(j.thenCompose(t -> b.awaitHead(t)).toCompletableFuture());
    }
    List<Ticket> tickets = new ArrayList<>();
    for (CompletableFuture<Ticket> j : joins) {
      tickets.add(j.get(60, java.util.concurrent.TimeUnit.SECONDS));
    }
    tickets.sort(java.util.Comparator.comparingLong(Ticket::token));
    int headIndex = Integer.parseInt(tickets.get(0).candidateId().substring(1));
    heads.get(headIndex).get(60, java.util.concurrent.TimeUnit.SECONDS);
    // Every other ticket found its place and watches its predecessor: none was taken for lost by a listing that
    // predates it, and exactly one leads.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(backends.stream()
        .mapToLong(b -> b.predecessorWatches.get()).sum()).isEqualTo(n - 1));
    assertThat(heads.stream().filter(CompletableFuture::isDone)).hasSize(1);
    for (Recorder r : recorders) {
      assertThat(r.lost()).isEmpty();
      assertThat(r.kinds()).containsExactly(Kind.CONNECTED);
    }
    long listings = backends.stream().mapToLong(b -> b.lineListings.get()).sum();
    System.out.printf("%d tickets on %d sessions found their place with %d listings of the line%n", n, sessions,
        listings);
    // One listing per ticket would be n; shared listings are far fewer.
    assertThat(listings).isLessThan(n / 4);
    // The line still hands off in order.
    Ticket first = tickets.get(0);
    await(backends.get(headIndex % sessions).remove(first));
    int nextIndex = Integer.parseInt(tickets.get(1).candidateId().substring(1));
    heads.get(nextIndex).get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(heads.get(Integer.parseInt(tickets.get(2).candidateId().substring(1)))).isNotDone();
  }

  @Test
  void aLineListingLargerThanZooKeepersDefaultReplyLimitIsRead() throws Exception {
    // About 20,000 tickets make a listing larger than ZooKeeper's default 1 MiB reply limit; with it, the client
    // dropped the connection on every listing and the election stalled. Long foreign node names make a listing that
    // large cheaply: ~1,200 children of 1,000 characters (the line ignores them, but they are in the reply).
    ZkBackend a = fx.backend(root, new Recorder());
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    ZooKeeper op = fx.raw();
    String filler = "x".repeat(1_000);
    int n = 1_200;
    java.util.concurrent.CountDownLatch created = new java.util.concurrent.CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      op.create(root + "/e/" + filler + i, new byte[0], org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE,
          org.apache.zookeeper.CreateMode.EPHEMERAL, (rc, path, ctx, name) -> created.countDown(), null);
    }
    assertThat(created.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(op.getAllChildrenNumber(root + "/e") * (filler.length() + 8L)).isGreaterThan(1L << 20);
    Ticket tb = join(b, "e", "b");
    await(head(a, ta));
    CompletableFuture<Void> hb = head(b, tb);
    await().atMost(ZkBackends.WAIT).until(() -> b.predecessorWatches.get() == 1);
    assertThat(hb).isNotDone();
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("a", "b");
    await(a.remove(ta));
    await(hb);
  }

  /** A ticket name as the backend makes them: {@code <uuid>-n_<suffix>}, the uuid made of {@code c}. */
  static String ticketName(char c, String suffix) {
    String h = String.valueOf(c);
    return h.repeat(8) + "-" + h.repeat(4) + "-" + h.repeat(4) + "-" + h.repeat(4) + "-" + h.repeat(12) + "-n_"
        + suffix;
  }

  @Test
  void theLineIsParsedAndSortedBySequenceNumber() {
    String a = ticketName('a', "0000000002");
    String b = ticketName('b', "0000000010");
    String z = ticketName('f', "0000000003");
    List<String> children = List.of(b, a, "lock", ticketName('c', "00000000x1"), "b-n_0000000001",
        ticketName('A', "0000000001"), z, ticketName('d', "12"));
    assertThat(Listing.inLine(children)).containsExactly(a, z, b);
    assertThat(Listing.head(children)).isEqualTo(a);
    assertThat(Listing.head(List.of("lock", "b-n_0000000001"))).isNull();
    Listing line = Listing.of(children);
    assertThat(line.indexOf("/r/e/" + z, 3)).isEqualTo(1);
    // Same number, other node (the election node was recreated): not ours.
    assertThat(line.indexOf("/r/e/" + ticketName('e', "0000000003"), 3)).isEqualTo(-1);
    assertThat(line.indexOf("/r/e/" + ticketName('a', "0000000004"), 4)).isEqualTo(-1);
  }

  /**
   * Finding 11: ZooKeeper numbers sequential children with the parent's 32-bit child version, written {@code %010d}.
   * Its data tree never lowers the version, so once it reaches 2147483647 every later child is numbered 2147483647
   * too, and creates prepared while one is in flight get wrapped negative numbers ("-2147483648", "-000000001").
   * Such names are ticket names (SPEC rule 4.8), ordered by the counter read as unsigned, then by name: every
   * listing orders them alike.
   */
  @Test
  void exhaustedAndWrappedSequenceNumbersAreTicketsInADeterministicOrder() {
    String before = ticketName('e', "2147483646");
    String maxB = ticketName('b', "2147483647");
    String maxA = ticketName('a', "2147483647");
    String min = ticketName('c', "-2147483648");
    String minusOne = ticketName('d', "-000000001");
    assertThat(TicketNames.sequence(min)).isEqualTo(Integer.MIN_VALUE);
    assertThat(TicketNames.sequence(minusOne)).isEqualTo(-1);
    assertThat(TicketNames.isTicketName(ticketName('f', "-00000001"))).isFalse();
    assertThat(TicketNames.isTicketName(ticketName('f', "2147483648"))).isFalse();
    assertThat(TicketNames.exhausted(TicketNames.sequence(before))).isFalse();
    assertThat(TicketNames.exhausted(TicketNames.sequence(maxA))).isTrue();
    assertThat(TicketNames.exhausted(TicketNames.sequence(min))).isTrue();
    List<String> children = List.of(minusOne, maxB, min, before, maxA);
    assertThat(Listing.inLine(children)).containsExactly(before, maxA, maxB, min, minusOne);
    assertThat(Listing.inLine(List.of(maxA, maxB))).isEqualTo(Listing.inLine(List.of(maxB, maxA)));
    assertThat(Listing.head(List.of(minusOne, maxB, min, maxA))).isEqualTo(maxA);
    Listing line = Listing.of(children);
    assertThat(line.indexOf("/r/e/" + minusOne, -1)).isEqualTo(4);
    assertThat(line.indexOf("/r/e/" + maxB, Integer.MAX_VALUE)).isEqualTo(2);
  }

  /**
   * Finding 11 on a real server, the election node's child version set to 2^31 - 2 as a snapshot would hold it: the
   * ticket numbered 2147483646 is fine; the next would be 2147483647, like every one after it, so its place in line
   * cannot be known and the join is refused with a clear error, leaving no node behind.
   */
  @Test
  void aJoinPastTheSequenceCounterIsRefusedAndLeavesNothingBehind() throws Exception {
    org.apache.zookeeper.ZooKeeper op = fx.raw();
    var open = org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;
    op.create(root, new byte[0], open, org.apache.zookeeper.CreateMode.PERSISTENT);
    op.create(root + "/e", new byte[0], open, org.apache.zookeeper.CreateMode.PERSISTENT);
    zk.server().setChildVersion(root + "/e", Integer.MAX_VALUE - 1);
    Recorder events = new Recorder();
    ZkBackend b = fx.backend(root, events);
    Ticket ta = join(b, "e", "a");
    assertThat(ta.key()).endsWith("-n_2147483646");
    await(head(b, ta));
    assertThat(failure(b.enqueue("e", "b", new byte[0]).toCompletableFuture()))
        .isInstanceOf(dev.elector.ElectorException.class).hasMessageContaining("sequence counter")
        .hasMessageContaining(root + "/e");
    await().atMost(ZkBackends.WAIT).until(() -> op.getChildren(root + "/e", false).size() == 1);
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("a");
    assertThat(events.kinds()).containsExactly(SessionEvent.Kind.CONNECTED);
  }

  /**
   * SPEC rule 4.8 on a real server: children whose names are not ticket names (an operator's node, one that only
   * looks like a ticket, a nested application's election node with its own children) are neither listed nor in
   * anyone's way; a ticket-named node whose data Elector cannot decode keeps its place, listed under its node name
   * with empty data.
   */
  @Test
  void foreignChildrenAreIgnoredAndUndecodableTicketsKeepTheirPlace() throws Exception {
    ZkBackend a = fx.backend(root, new Recorder());
    ZkBackend b = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    await(head(a, ta));
    org.apache.zookeeper.ZooKeeper op = fx.raw();
    var open = org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;
    String e = root + "/e";
    op.create(e + "/lock", "x".getBytes(java.nio.charset.StandardCharsets.UTF_8), open,
        org.apache.zookeeper.CreateMode.PERSISTENT);
    // Looks like a ticket to a suffix-only parser, with a number ahead of every ticket after a's.
    op.create(e + "/zz-n_0000000001", new byte[0], open, org.apache.zookeeper.CreateMode.PERSISTENT);
    op.create(e + "/nested", new byte[0], open, org.apache.zookeeper.CreateMode.PERSISTENT);
    op.create(e + "/nested/" + ticketName('9', "0000000000"), new byte[0], open,
        org.apache.zookeeper.CreateMode.PERSISTENT);
    String garbage = op.create(e + "/" + java.util.UUID.randomUUID() + TicketNames.SEQ_MARK, new byte[] {(byte) 0xff, 7},
        open, org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
    String garbageName = garbage.substring(garbage.lastIndexOf('/') + 1);
    Ticket tb = join(b, "e", "b");
    CompletableFuture<Void> hb = head(b, tb);

    List<Participant> line = await(b.line("e"));
    assertThat(line).extracting(Participant::candidateId).containsExactly("a", garbageName, "b");
    assertThat(line.get(1).data()).isEmpty();
    await(a.remove(ta));
    // The undecodable ticket now stands first: b waits behind it, not behind the foreign nodes.
    await().during(Duration.ofMillis(300)).atMost(ZkBackends.WAIT).until(() -> !hb.isDone());
    op.delete(garbage, -1);
    await(hb);
    assertThat(await(b.line("e"))).extracting(Participant::candidateId).containsExactly("b");
  }

  @Test
  void theHeartbeatKeepsTheDeadlineAheadWhileConnected() throws Exception {
    Duration session = ZkBackends.SESSION;
    ZkBackend a = fx.backend(root, new Recorder());
    long end = System.nanoTime() + session.multipliedBy(2).toNanos();
    long minAhead = Long.MAX_VALUE;
    while (System.nanoTime() - end < 0) {
      long ahead = a.sessionDeadline() - System.nanoTime();
      minAhead = Math.min(minAhead, ahead);
      Thread.sleep(5);
    }
    // Two session timeouts long, the deadline never fell behind: the heartbeat renews it from send times.
    assertThat(minAhead).isPositive();
    // And it never lies beyond one timeout from now: it is computed from a request already sent.
    assertThat(a.sessionDeadline() - System.nanoTime()).isLessThanOrEqualTo(session.toNanos());
    System.out.printf("deadline lead while connected: at least %.0f ms of a %d ms session%n", minAhead / 1e6,
        session.toMillis());
  }

  @Test
  void digestCredentialsGuardTheLineAndAnyoneMayReadIt() throws Exception {
    ClientConfig app = ZkBackends.config(zk.server().endpoint(), root).toBuilder().option("username", "app")
        .option("password", "s3cret-pw").build();
    ZkBackend a = fx.backend(app, new Recorder());
    ZkBackend sameUser = fx.backend(app, new Recorder());
    ZkBackend otherUser = fx.backend(app.toBuilder().option("username", "intruder").build(), new Recorder());
    ZkBackend anonymous = fx.backend(root, new Recorder());
    Ticket ta = join(a, "e", "a");
    await(head(a, ta));
    Ticket tb = join(sameUser, "e", "b");
    CompletableFuture<Void> hb = head(sameUser, tb);
    assertThat(failure(otherUser.enqueue("e", "x", new byte[0]).toCompletableFuture()))
        .isInstanceOf(dev.elector.AccessDeniedException.class).hasMessageNotContaining("s3cret-pw");
    assertThat(failure(anonymous.enqueue("e", "y", new byte[0]).toCompletableFuture()))
        .isInstanceOf(dev.elector.AccessDeniedException.class);
    // Tools without credentials still see the line.
    assertThat(await(anonymous.line("e"))).extracting(Participant::candidateId).containsExactly("a", "b");
    await(a.remove(ta));
    await(hb);
  }

  @Test
  void closeLeavesNoThreadBehind() throws Exception {
    // By identity: a thread of an earlier test that ends meanwhile must not pass for one of ours, nor fail the count.
    Set<Thread> before = clientThreads();
    for (int i = 0; i < 5; i++) {
      Recorder r = new Recorder();
      ZkBackend b = fx.backend(root, r);
      Ticket t = join(b, "e", "c" + i);
      await(head(b, t));
      b.watchHead("e", new HeadListener() {
        @Override
        public void headChanged(Optional<Participant> head) {}

        @Override
        public void failed(Throwable cause) {}
      });
      b.close();
    }
    await().atMost(ZkBackends.WAIT).untilAsserted(() -> assertThat(clientThreads()).isSubsetOf(before));
    assertThat(await(fx.backend(root, new Recorder()).line("e"))).isEmpty();
  }

  /** Threads of ZooKeeper clients and of this backend. */
  private static Set<Thread> clientThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> {
      String n = t.getName();
      return n.contains("-SendThread(") || n.endsWith("-EventThread") || n.startsWith("elector-zookeeper");
    }).collect(java.util.stream.Collectors.toSet());
  }

  private static long wakeups(List<ZkBackend> backends) {
    return backends.stream().mapToLong(b -> b.predecessorWakeups.get()).sum();
  }
}
