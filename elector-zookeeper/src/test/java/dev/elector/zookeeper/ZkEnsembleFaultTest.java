package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.tck.ClusterFaults;
import dev.elector.tck.MemberIsolation;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link ClusterFaults} (issue 8) and {@link MemberIsolation} (issue 12) on a real three-member ensemble of
 * child JVMs ({@link ZkProcessEnsemble}): members are killed with SIGKILL, and one member at a time is cut off from
 * the others by the proxies on its peer links while its clients stay connected to it.
 */
class ZkEnsembleFaultTest {
  private static final Duration SESSION = Duration.ofSeconds(2);
  /**
   * tickTime 250 ms, syncLimit 12: a member cut off from the others notices after 3 s, longer than the 2 s session,
   * so a cut-off member keeps answering its clients past the moment the others expire their sessions.
   */
  private static final ZkProcessEnsemble.Settings SETTINGS = ZkProcessEnsemble.Settings.of(250, 12);

  private ZkProcessEnsemble ensemble;
  /** Members stopped by the scenario, so a restart waits for a quorum of the members running then. */
  private int down;

  @BeforeEach
  void start() throws Exception {
    ensemble = ZkProcessEnsemble.start(ClusterFaults.MEMBERS, SETTINGS);
  }

  @AfterEach
  void stop() throws Exception {
    ensemble.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    withMemberLogs(() -> ClusterFaults.run(cluster()));
  }

  @Test
  void anIsolatedMembersLeaderEndsBeforeItsSuccessorStarts() throws Exception {
    withMemberLogs(() -> MemberIsolation.run(cluster()));
  }

  /** A failed scenario carries the end of every member's log, taken before the ensemble is stopped and deleted. */
  private void withMemberLogs(Scenario scenario) throws Exception {
    try {
      scenario.run();
    } catch (AssertionError | Exception e) {
      e.addSuppressed(new AssertionError("ZooKeeper members' logs:" + ensemble.logTails()));
      throw e;
    }
  }

  private interface Scenario {
    void run() throws Exception;
  }

  private ClusterFaults.Cluster cluster() {
    return new ClusterFaults.Cluster() {
      @Override
      public String name() {
        return "ZooKeeper ensemble";
      }

      @Override
      public ClientConfig config() {
        return ClientConfig.builder("zookeeper").endpoints(ensemble.endpoints()).root("/ensemble")
            .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5))
            .build();
      }

      @Override
      public Duration sessionTimeout() {
        return SESSION;
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
      public boolean canIsolate() {
        return true;
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
    };
  }
}
