package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.elector.AccessDeniedException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InvalidInputException;
import dev.elector.Participant;
import dev.elector.spi.Ticket;
import dev.elector.testservers.InProcessZooKeeper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ZooKeeper security with one digest identity per member plus a shared group identity (options
 * {@code username}/{@code password} and {@code group}/{@code groupPassword}): members join and read each other's
 * tickets and the leader; only a ticket's creator may change it; clients outside the group can neither join, nor
 * read, nor delete a ticket, and get a clear error; no password ever shows in an exception or a log line.
 */
class ZkAclTest {
  private static final String ALICE_PW = "alice-Pw-7731";
  private static final String BOB_PW = "bob-Pw-9902";
  private static final String GROUP_PW = "group-Pw-5521";
  private static final String WRONG_PW = "wrong-Pw-4410";
  private static final String ROOT = "/secured";

  private InProcessZooKeeper server;
  private ZkBackends fx;

  @BeforeEach
  void start() throws Exception {
    server = InProcessZooKeeper.start();
    fx = new ZkBackends(server);
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
    server.close();
  }

  private ClientConfig member(String user, String password, String groupPassword) {
    return ZkBackends.config(server.endpoint(), ROOT).toBuilder().option("username", user).option("password", password)
        .option("group", "app").option("groupPassword", groupPassword).build();
  }

  private ZooKeeper raw(String... digests) throws Exception {
    ZooKeeper zk = fx.raw();
    for (String d : digests) {
      zk.addAuthInfo("digest", d.getBytes(StandardCharsets.UTF_8));
    }
    // addAuthInfo is queued on the connection: a round trip makes sure the server has applied it.
    zk.sync("/", (rc, path, ctx) -> {}, null);
    zk.exists("/", false);
    return zk;
  }

  @Test
  void membersShareTheLineButOnlyTheCreatorMayChangeItsTicket() throws Exception {
    try (ElectionClient alice = Elections.connect(member("alice", ALICE_PW, GROUP_PW));
        ElectionClient bob = Elections.connect(member("bob", BOB_PW, GROUP_PW))) {
      Candidate a = alice.election("e").join("a");
      a.awaitLeadership(Duration.ofSeconds(10));
      Candidate b = bob.election("e").join("b");
      // Every member reads the line and the leader.
      await().atMost(ZkBackends.WAIT).until(() -> bob.election("e").participants().toCompletableFuture()
          .get(5, TimeUnit.SECONDS).size() == 2);
      assertThat(bob.election("e").leader().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .map(Participant::candidateId).contains("a");
      assertThat(alice.election("e").participants().toCompletableFuture().get(5, TimeUnit.SECONDS))
          .extracting(Participant::candidateId).containsExactly("a", "b");

      ZooKeeper zk = raw("alice:" + ALICE_PW, "app:" + GROUP_PW);
      List<String> tickets = zk.getChildren(ROOT + "/e", false);
      assertThat(tickets).hasSize(2);
      String aliceTicket = null;
      String bobTicket = null;
      for (String t : tickets) {
        String id = dev.elector.spi.TicketCodec.candidateId(zk.getData(ROOT + "/e/" + t, false, null));
        if (id.equals("a")) {
          aliceTicket = ROOT + "/e/" + t;
        } else {
          bobTicket = ROOT + "/e/" + t;
        }
      }
      assertThat(aliceTicket).isNotNull();
      assertThat(bobTicket).isNotNull();

      // Bob, with his own and the group's credentials, may read Alice's ticket but not change it.
      ZooKeeper asBob = raw("bob:" + BOB_PW, "app:" + GROUP_PW);
      assertThat(asBob.getData(aliceTicket, false, null)).isNotNull();
      String at = aliceTicket;
      assertThatThrownBy(() -> asBob.setData(at, new byte[] {1}, -1)).isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> asBob.setACL(at, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1))
          .isInstanceOf(KeeperException.NoAuthException.class);
      // Alice may change her own.
      assertThat(zk.setData(aliceTicket, zk.getData(aliceTicket, false, null), -1)).isNotNull();
      assertThat(b.isLeader()).isFalse();
    }
  }

  @Test
  void aMemberResignsAndHandsOverWithItsOwnIdentity() throws Exception {
    try (ElectionClient alice = Elections.connect(member("alice", ALICE_PW, GROUP_PW));
        ElectionClient bob = Elections.connect(member("bob", BOB_PW, GROUP_PW))) {
      Candidate b = bob.election("h").join("b");
      b.awaitLeadership(Duration.ofSeconds(10));
      Candidate a = alice.election("h").join("a");
      await().atMost(ZkBackends.WAIT).until(() -> alice.election("h").participants().toCompletableFuture()
          .get(5, TimeUnit.SECONDS).size() == 2);
      b.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(a.awaitLeadership(Duration.ofSeconds(10)).isValid()).isTrue();
      a.resign().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(b.awaitLeadership(Duration.ofSeconds(10)).isValid()).isTrue();
    }
  }

  @Test
  void outsidersCannotJoinReadOrDeleteAndNoPasswordLeaks() throws Exception {
    Capture capture = Capture.start();
    try {
      ZkBackend alice = fx.backend(member("alice", ALICE_PW, GROUP_PW), new Recorder());
      Ticket ta = ZkBackends.join(alice, "e", "a");
      ZkBackends.await(ZkBackends.head(alice, ta));
      String ticket = ta.key().startsWith("/") ? ta.key() : ROOT + "/e/" + ta.key();

      // A client with no credentials, one with its own identity but not the group's, one with a wrong group
      // password: none may join, and the error says access was denied.
      ZkBackend anonymous = fx.backend(ROOT, new Recorder());
      ZkBackend stranger = fx.backend(ZkBackends.config(server.endpoint(), ROOT).toBuilder()
          .option("username", "mallory").option("password", WRONG_PW).build(), new Recorder());
      ZkBackend wrongGroup = fx.backend(member("eve", WRONG_PW + "e", WRONG_PW), new Recorder());
      for (ZkBackend outsider : List.of(anonymous, stranger, wrongGroup)) {
        Throwable t = failure(outsider.enqueue("e", "x", new byte[0]).toCompletableFuture());
        assertThat(t).isInstanceOf(AccessDeniedException.class);
        assertThat(t.getMessage()).contains(ROOT).doesNotContain(ALICE_PW, GROUP_PW, WRONG_PW);
        System.out.println("outsider join refused: " + t);
      }

      // Through the public API: the candidate never gets in line, and what is logged names the denial.
      try (ElectionClient api = Elections.connect(member("eve", WRONG_PW + "e", WRONG_PW));
          Candidate c = api.election("e").join("eve")) {
        // Refused for good: the candidate stops and says why, rather than retrying in silence.
        assertThatThrownBy(() -> c.awaitLeadership(Duration.ofSeconds(10)))
            .isInstanceOf(AccessDeniedException.class).hasMessageNotContaining(WRONG_PW);
        assertThat(c.state()).isEqualTo(dev.elector.CandidateState.CLOSED);
        assertThat(alice.line("e").toCompletableFuture().get(5, TimeUnit.SECONDS))
            .extracting(Participant::candidateId).containsExactly("a");
      }

      // Raw clients outside the group can neither read the line nor delete or change a member's ticket.
      for (String[] creds : List.of(new String[0], new String[] {"mallory:" + WRONG_PW},
          new String[] {"eve:x", "app:" + WRONG_PW})) {
        ZooKeeper zk = raw(creds);
        assertThatThrownBy(() -> zk.getChildren(ROOT + "/e", false)).isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> zk.delete(ticket, -1)).isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> zk.setData(ticket, new byte[0], -1))
            .isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> zk.create(ROOT + "/e/intruder", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
            CreateMode.EPHEMERAL)).isInstanceOf(KeeperException.NoAuthException.class);
      }
      assertThat(server.hasSession(alice.sessionId())).isTrue();
      assertThat(alice.line("e").toCompletableFuture().get(5, TimeUnit.SECONDS)).hasSize(1);
    } finally {
      capture.stop();
    }
    String logged = capture.text();
    System.out.printf("captured %d characters of log output during refused joins%n", logged.length());
    assertThat(logged).as("log output").contains("AccessDenied").doesNotContain(ALICE_PW, BOB_PW, GROUP_PW,
        WRONG_PW);
  }

  @Test
  void groupOptionsAreValidatedWithoutShowingSecrets() {
    ClientConfig noUser = ZkBackends.config(server.endpoint(), ROOT).toBuilder().option("group", "app")
        .option("groupPassword", GROUP_PW).build();
    assertThatThrownBy(() -> Elections.connect(noUser)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("username").hasMessageNotContaining(GROUP_PW);
    ClientConfig noGroupPassword = ZkBackends.config(server.endpoint(), ROOT).toBuilder().option("username", "a")
        .option("password", ALICE_PW).option("group", "app").build();
    assertThatThrownBy(() -> Elections.connect(noGroupPassword)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("groupPassword").hasMessageNotContaining(ALICE_PW);
    assertThat(member("alice", ALICE_PW, GROUP_PW).toString()).doesNotContain(ALICE_PW, GROUP_PW);
  }

  private static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(ZkBackends.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("expected a failure, got " + e, e);
    }
    throw new AssertionError("expected a failure, but it completed normally");
  }

  /** Everything logged meanwhile: java.util.logging (System.Logger's default) and stderr/stdout (slf4j-simple). */
  private static final class Capture extends Handler {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final StringBuilder records = new StringBuilder();
    private final PrintStream err = System.err;
    private final PrintStream out = System.out;
    private final SimpleFormatter format = new SimpleFormatter();
    private final Level rootLevel = Logger.getLogger("").getLevel();

    static Capture start() {
      Capture c = new Capture();
      Logger.getLogger("").addHandler(c);
      Logger.getLogger("").setLevel(Level.ALL);
      PrintStream tee = new PrintStream(c.bytes, true, StandardCharsets.UTF_8);
      System.setErr(tee);
      System.setOut(new PrintStream(new java.io.OutputStream() {
        @Override
        public void write(int b) {
          tee.write(b);
          c.out.write(b);
        }
      }, true, StandardCharsets.UTF_8));
      return c;
    }

    void stop() {
      System.setErr(err);
      System.setOut(out);
      Logger.getLogger("").removeHandler(this);
      Logger.getLogger("").setLevel(rootLevel);
    }

    String text() {
      synchronized (records) {
        return records + bytes.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void publish(LogRecord record) {
      synchronized (records) {
        records.append(format.format(record));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
