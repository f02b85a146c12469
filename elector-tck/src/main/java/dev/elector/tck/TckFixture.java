package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.faultproxy.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What a backend provides to run the {@link ElectionTck}: a running coordination service, a client configuration for
 * it, and optional fault-injection capabilities. The kit calls {@link #start()} once per test class and
 * {@link #close()} after the last test.
 *
 * <p>A {@link Capability} the fixture does not declare makes the tests that need it skip, naming the capability. A
 * declared capability must work: a test that uses it fails if it does not.
 *
 * <p>For a TCP backend ({@link #tcp()} true, the default) the kit routes every client it creates through its own
 * {@link FaultProxy} per endpoint, so it can partition and crash clients without the backend knowing; such a
 * fixture has {@link Capability#PARTITION} without declaring it. A non-TCP backend (the in-memory one) declares
 * {@code PARTITION} and implements {@link #partition(ElectionClient)} and {@link #heal(ElectionClient)}.
 */
public interface TckFixture extends AutoCloseable {

  /** What a fixture can do beyond running the service. */
  enum Capability {
    /** {@link #expireSession(ElectionClient)}: the server expires a client's session, as if it timed out. */
    EXPIRE_SESSION,
    /** {@link #restart()}: stop and start the whole service, keeping its data. */
    RESTART,
    /** {@link #killMember(int)} and {@link #restoreMember(int)} on a cluster of {@link #members()} members. */
    KILL_MEMBER,
    /**
     * Cut one client off from the service and heal it. TCP fixtures get this from the kit's {@link FaultProxy};
     * others implement {@link #partition(ElectionClient)} and {@link #heal(ElectionClient)}.
     */
    PARTITION,
    /**
     * Act on the service's data as an operator with the service's own tool would: {@link #deleteTicket},
     * {@link #putForeignEntry} and {@link #deleteElection}, all under the root of {@link #config(List)}.
     */
    OPERATOR,
    /**
     * {@link #isolateMember(int)} and {@link #rejoinMember(int)}: cut one member of the cluster off from the other
     * members while its clients stay connected to it ({@link MemberIsolation}); implies {@link #KILL_MEMBER}'s
     * {@link #leaderMember()}.
     */
    ISOLATE_MEMBER
  }

  /** The fixture's name in the scenarios' printed lines, for example {@code "etcd (3 members)"}. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** Starts the service. Called once, before the first test of the class. */
  void start() throws Exception;

  /** The service's client endpoints ({@code host:port} for TCP backends; the cluster name for {@code mem}). */
  List<String> endpoints();

  /**
   * A configuration for a client that talks to the given endpoints: for TCP fixtures they are the kit's proxy
   * endpoints, one per entry of {@link #endpoints()} in the same order. The fixture picks the root, the session
   * timeout (keep it short: 2–4 s keeps the kit near two minutes) and any backend options.
   */
  ClientConfig config(List<String> endpoints);

  /** The session timeout the fixture's configurations use; the kit derives its time bounds from it. */
  Duration sessionTimeout();

  /** Connects a client. Fixtures may decorate the client (the kit's own self-tests do, to break rules). */
  default ElectionClient connect(ClientConfig config) {
    return Elections.connect(config);
  }

  /** The optional capabilities this fixture declares. */
  default Set<Capability> capabilities() {
    return Set.of();
  }

  /**
   * True if the backend talks TCP to {@link #endpoints()}: the kit then puts a {@link FaultProxy} in front of every
   * endpoint for every client it creates, and implements {@link Capability#PARTITION} with it.
   */
  default boolean tcp() {
    return true;
  }

  /**
   * Expires the client's session on the server, using {@link ElectionClient#sessionId()}, as if it had timed out.
   * Returns once the server has expired it; must not wait for the client to hear of it. Does nothing if the server
   * no longer has the session (it may have expired on its own while the client was cut off). Needed for
   * {@link Capability#EXPIRE_SESSION}.
   *
   * <p>When the kit can partition, it calls this only on a client it has cut off and whose candidates have stepped
   * down, then heals the client: an expiry forced on a client still in contact could elect a successor before the
   * client can know, which no backend can prevent (SPEC rule 1.3). The one exception has no successor to elect: a
   * connected leader alone in its election has its session expired directly, as an operator would, and must notice.
   */
  default void expireSession(ElectionClient client) throws Exception {
    throw new UnsupportedOperationException("expireSession: capability EXPIRE_SESSION not declared");
  }

  /** Stops and starts the whole service, keeping its data. Needed for {@link Capability#RESTART}. */
  default void restart() throws Exception {
    throw new UnsupportedOperationException("restart: capability RESTART not declared");
  }

  /** The number of members of the service's cluster. */
  default int members() {
    return 1;
  }

  /**
   * Stops member {@code i} (0-based) of the cluster abruptly; returns once it is down (the others may still be
   * electing a new cluster leader). Needed for {@link Capability#KILL_MEMBER}.
   */
  default void killMember(int i) throws Exception {
    throw new UnsupportedOperationException("killMember: capability KILL_MEMBER not declared");
  }

  /**
   * Starts member {@code i} again with its data; returns once the members now running serve clients (with a quorum
   * and a cluster leader whenever they form a majority). Needed for {@link Capability#KILL_MEMBER}.
   */
  default void restoreMember(int i) throws Exception {
    throw new UnsupportedOperationException("restoreMember: capability KILL_MEMBER not declared");
  }

  /**
   * The member that leads the cluster now, by the service's own report (ZooKeeper's {@code srvr}, etcd's status),
   * if one does. {@link ClusterFaults} and {@link MemberIsolation} kill or isolate it. Needed for
   * {@link Capability#KILL_MEMBER} on a cluster of more than one member.
   */
  default OptionalInt leaderMember() {
    return OptionalInt.empty();
  }

  /**
   * Cuts member {@code i} off from the other members (all peer traffic, both ways, connections kept open) while its
   * clients stay connected to it: the member keeps accepting client connections and may answer reads until it
   * notices it lost the cluster. Returns once the cut is in place. Needed for {@link Capability#ISOLATE_MEMBER}.
   */
  default void isolateMember(int i) throws Exception {
    throw new UnsupportedOperationException("isolateMember: capability ISOLATE_MEMBER not declared");
  }

  /**
   * Ends {@link #isolateMember(int)}; returns once the members now running serve clients with a quorum. Needed for
   * {@link Capability#ISOLATE_MEMBER}.
   */
  default void rejoinMember(int i) throws Exception {
    throw new UnsupportedOperationException("rejoinMember: capability ISOLATE_MEMBER not declared");
  }

  /**
   * True for threads the client library owns. {@link Soak} checks that none is left once every client is closed;
   * a fixture that names none gets only Elector's own threads checked.
   */
  default boolean isClientThread(String threadName) {
    return false;
  }

  /**
   * True for threads of a cached pool that {@link Soak}'s steady-phase thread count leaves out: such a pool starts a
   * worker per concurrent task and lets it go when idle, so its size follows the recent burst of work, not a leak
   * (the pool must still be gone after close, see {@link #isClientThread(String)}). The engine's
   * {@code elector-callback-} workers are always left out.
   */
  default boolean isCachedPoolThread(String threadName) {
    return false;
  }

  /**
   * Cuts the client off from the service, keeping its connections open, until {@link #heal(ElectionClient)}: for
   * non-TCP fixtures that declare {@link Capability#PARTITION}. The server must treat the client as silent (its
   * session expires after the timeout) and the client must see no answers.
   */
  default void partition(ElectionClient client) throws Exception {
    throw new UnsupportedOperationException("partition: a non-TCP fixture must implement it for PARTITION");
  }

  /** Ends a {@link #partition(ElectionClient)}. */
  default void heal(ElectionClient client) throws Exception {
    throw new UnsupportedOperationException("heal: a non-TCP fixture must implement it for PARTITION");
  }

  /**
   * Deletes every ticket of candidate {@code candidateId} in {@code election}, with a raw client of the service (not
   * through Elector), as an operator would; returns once the service has deleted them. Needed for
   * {@link Capability#OPERATOR}.
   */
  default void deleteTicket(String election, String candidateId) throws Exception {
    throw new UnsupportedOperationException("deleteTicket: capability OPERATOR not declared");
  }

  /**
   * Writes an entry that Elector did not write directly under {@code election}'s line (a znode, a key, a table
   * row no session owns), named
   * {@code name} (a name that is not a ticket name of the backend), holding {@code value}; returns once it is
   * written. SPEC rule 4.8: such an entry is not a participant and never blocks the line. Needed for
   * {@link Capability#OPERATOR}.
   */
  default void putForeignEntry(String election, String name, byte[] value) throws Exception {
    throw new UnsupportedOperationException("putForeignEntry: capability OPERATOR not declared");
  }

  /**
   * Deletes {@code election}'s container and everything in it (ZooKeeper: the election's znode with its children;
   * etcd: every key under its prefix), as an operator would; returns once it is gone. Needed for
   * {@link Capability#OPERATOR}.
   */
  default void deleteElection(String election) throws Exception {
    throw new UnsupportedOperationException("deleteElection: capability OPERATOR not declared");
  }

  /**
   * A configuration that points at no live service, for rule 4.5 ("a backend that is down fails in time"). TCP
   * fixtures need not implement it: the kit uses a proxy that accepts connections and never answers. Empty makes
   * the test skip.
   */
  default Optional<ClientConfig> unreachableConfig() {
    return Optional.empty();
  }

  /** Stops the service and removes its files. Called once, after the last test of the class. */
  @Override
  void close() throws Exception;
}
