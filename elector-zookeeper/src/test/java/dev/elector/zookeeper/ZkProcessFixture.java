package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.tck.ClusterFaults;
import dev.elector.tck.TckFixture;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * ZooKeeper for the kit's cluster scenarios ({@link ClusterFaults}, {@link dev.elector.tck.MemberIsolation}): a
 * three-member ensemble of child JVMs ({@link ZkProcessEnsemble}) whose members are killed with SIGKILL and cut off
 * from each other by the proxies on their peer links while their clients stay connected.
 */
final class ZkProcessFixture implements TckFixture {
  private static final Duration SESSION = Duration.ofSeconds(2);
  /**
   * tickTime 250 ms, syncLimit 12: a member cut off from the others notices after 3 s, longer than the 2 s session,
   * so a cut-off member keeps answering its clients past the moment the others expire their sessions.
   */
  private static final ZkProcessEnsemble.Settings SETTINGS = ZkProcessEnsemble.Settings.of(250, 12);

  private ZkProcessEnsemble ensemble;
  /** Members killed and not yet restored: a restore waits for a quorum of the members running then. */
  private int down;

  @Override
  public String name() {
    return "ZooKeeper ensemble";
  }

  @Override
  public void start() throws Exception {
    ensemble = ZkProcessEnsemble.start(ClusterFaults.MEMBERS, SETTINGS);
  }

  @Override
  public List<String> endpoints() {
    return ensemble.endpoints();
  }

  @Override
  public ClientConfig config(List<String> endpoints) {
    return ClientConfig.builder("zookeeper").endpoints(endpoints).root("/ensemble").sessionTimeout(SESSION)
        .connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Duration sessionTimeout() {
    return SESSION;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.KILL_MEMBER, Capability.ISOLATE_MEMBER);
  }

  @Override
  public int members() {
    return ClusterFaults.MEMBERS;
  }

  /** From ZooKeeper's own {@code srvr} four-letter command. */
  @Override
  public OptionalInt leaderMember() {
    return ensemble.leaderMember();
  }

  /** SIGKILL. */
  @Override
  public void killMember(int i) throws Exception {
    ensemble.killMember(i);
    down++;
  }

  @Override
  public void restoreMember(int i) throws Exception {
    ensemble.startMember(i);
    down--;
    ensemble.awaitQuorum(ClusterFaults.MEMBERS - down);
  }

  @Override
  public void isolateMember(int i) {
    ensemble.isolate(i);
  }

  @Override
  public void rejoinMember(int i) throws Exception {
    ensemble.rejoin(i);
    ensemble.awaitQuorum(ClusterFaults.MEMBERS - down);
  }

  /** Runs {@code scenario}; a failure carries the end of every member's log. */
  void withMemberLogs(ZkProcessEnsemble.Scenario scenario) throws Exception {
    ensemble.withMemberLogs(scenario);
  }

  @Override
  public void close() throws Exception {
    if (ensemble != null) {
      ensemble.close();
    }
  }
}
