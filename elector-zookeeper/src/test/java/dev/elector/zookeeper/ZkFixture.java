package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.SessionState;
import dev.elector.spi.TicketCodec;
import dev.elector.tck.TckFixture;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The TCK's view of ZooKeeper: an in-process ensemble (three members for the TCK, one for the soak), 2 s sessions,
 * server-side expiry, restart of the whole ensemble and of any one member, and an operator's raw ZooKeeper client
 * for the {@code OPERATOR} hooks. {@link ZkProcessFixture} is the one with members in child JVMs, for SIGKILL and
 * member isolation.
 */
final class ZkFixture implements TckFixture {
  private static final Duration SESSION = Duration.ofSeconds(2);
  private static final String ROOT = "/tck";
  private final int size;
  private ZkTestEnsemble server;
  /** The operator's client, made on first use. */
  private ZooKeeper operator;

  /** Three members, so that the kit's member-loss rule runs too. */
  ZkFixture() {
    this(3);
  }

  ZkFixture(int size) {
    this.size = size;
  }

  @Override
  public String name() {
    return "ZooKeeper (" + size + (size == 1 ? " member)" : " members, in-process)");
  }

  @Override
  public void start() throws Exception {
    server = ZkTestEnsemble.start(size);
  }

  @Override
  public List<String> endpoints() {
    return server.endpoints();
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("zookeeper").endpoints(endpoints).root(ROOT).sessionTimeout(SESSION)
        .connectTimeout(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Duration sessionTimeout() {
    return SESSION;
  }

  @Override
  public Set<Capability> capabilities() {
    return size > 1
        ? Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.KILL_MEMBER, Capability.OPERATOR)
        : Set.of(Capability.EXPIRE_SESSION, Capability.RESTART, Capability.OPERATOR);
  }

  /** The ZooKeeper client's own two threads per session. */
  @Override
  public boolean isClientThread(String name) {
    return name.contains("-SendThread(") || name.endsWith("-EventThread");
  }

  @Override
  public int members() {
    return server.size();
  }

  /** The member whose peer state is LEADING. */
  @Override
  public OptionalInt leaderMember() {
    return server.leaderMember();
  }

  /** Stops the member and returns once the other two serve again (after a new leader election if it led). */
  @Override
  public void killMember(int i) throws Exception {
    server.stopMember(i);
    server.awaitQuorum(server.size() - 1);
  }

  @Override
  public void restoreMember(int i) throws Exception {
    server.startMember(i);
    server.awaitQuorum(server.size());
  }

  /**
   * Expires the session on the server and returns once the client has heard of it. A forced expiry acts on the
   * server before any client can know (the server closes the connection right after); a session that times out on
   * its own is past its client's deadline long before the server acts, so this is the same end state.
   */
  @Override
  public void expireSession(ElectionClient client) throws Exception {
    long id = client.sessionId();
    server.expire(id);
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (client.sessionState() == SessionState.CONNECTED && client.sessionId() == id) {
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("client still on session 0x" + Long.toHexString(id) + " 10 s after expiry");
      }
      Thread.sleep(5);
    }
  }

  @Override
  public void restart() throws Exception {
    server.restart();
  }

  /** Deletes every node of the election whose ticket data names {@code candidateId} (decoded as Elector wrote it). */
  @Override
  public void deleteTicket(String election, String candidateId) throws Exception {
    ZooKeeper zk = operator();
    String parent = ROOT + "/" + election;
    List<String> children;
    try {
      children = zk.getChildren(parent, false);
    } catch (KeeperException.NoNodeException e) {
      return;
    }
    for (String name : children) {
      if (!TicketNames.isTicketName(name)) {
        continue; // not a ticket name (SPEC rule 4.8)
      }
      try {
        byte[] data = zk.getData(parent + "/" + name, false, null);
        if (candidateId.equals(TicketCodec.candidateId(data))) {
          zk.delete(parent + "/" + name, -1);
        }
      } catch (KeeperException.NoNodeException | IllegalArgumentException gone) {
        // Left meanwhile, or not written by Elector.
      }
    }
  }

  /** A persistent node {@code name} under the election's node (made, with the root, as containers if missing). */
  @Override
  public void putForeignEntry(String election, String name, byte[] value) throws Exception {
    if (name.isEmpty() || name.contains("/") || TicketNames.isTicketName(name)) {
      throw new IllegalArgumentException("'" + name + "' is not a foreign node name: it must be one path segment "
          + "and not a ticket name (<uuid>-n_<sequence>)");
    }
    ZooKeeper zk = operator();
    String parent = ROOT + "/" + election;
    for (String p : List.of(ROOT, parent)) {
      try {
        zk.create(p, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
      } catch (KeeperException.NodeExistsException exists) {
        // Made by Elector or an earlier call.
      }
    }
    zk.create(parent + "/" + name, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
  }

  /** Deletes the election's node and everything under it, tickets included (retried if a ticket lands meanwhile). */
  @Override
  public void deleteElection(String election) throws Exception {
    ZooKeeper zk = operator();
    String parent = ROOT + "/" + election;
    for (int attempt = 1; ; attempt++) {
      try {
        ZKUtil.deleteRecursive(zk, parent);
        return;
      } catch (KeeperException.NoNodeException gone) {
        if (zk.exists(parent, false) == null) {
          return;
        }
      } catch (KeeperException.NotEmptyException raced) {
        if (attempt == 20) {
          throw raced;
        }
      }
    }
  }

  private synchronized ZooKeeper operator() throws Exception {
    if (operator == null) {
      CountDownLatch up = new CountDownLatch(1);
      ZooKeeper zk = new ZooKeeper(String.join(",", server.endpoints()), 10_000, e -> {
        if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
          up.countDown();
        }
      });
      if (!up.await(10, TimeUnit.SECONDS)) {
        zk.close();
        throw new IllegalStateException("the operator's ZooKeeper client did not connect to " + server.endpoints());
      }
      operator = zk;
    }
    // The operator acts on the ensemble's latest state, whichever member it talks to.
    operator.sync(ROOT, (rc, path, ctx) -> {}, null);
    return operator;
  }

  @Override
  public void close() throws Exception {
    if (operator != null) {
      operator.close();
    }
    if (server != null) {
      server.close();
    }
  }
}
