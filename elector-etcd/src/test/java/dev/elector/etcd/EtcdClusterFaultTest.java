package dev.elector.etcd;

import dev.elector.ClientConfig;
import dev.elector.tck.ClusterFaults;
import dev.elector.tck.MemberIsolation;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link ClusterFaults} (issue 8) on a real three-member etcd cluster: kill the member that leads the Raft
 * group while candidates hand over, restart it, kill a follower, lose quorum and regain it; and its
 * {@link MemberIsolation} (issue 12): one member cut off from its peers while its clients stay on it. Every term
 * checked.
 */
class EtcdClusterFaultTest {
  private static final Duration SESSION = Duration.ofSeconds(3);

  private EtcdCluster etcd;

  @BeforeEach
  void start() throws Exception {
    // Peer traffic through PeerNet, so that the kit's member-isolation scenario can cut one member off.
    etcd = EtcdCluster.startIsolatable(ClusterFaults.MEMBERS);
  }

  @AfterEach
  void stop() throws Exception {
    etcd.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    ClusterFaults.run(cluster());
  }

  @Test
  void anIsolatedMembersLeaderEndsBeforeItsSuccessorStarts() throws Exception {
    MemberIsolation.run(cluster());
  }

  private ClusterFaults.Cluster cluster() {
    return new ClusterFaults.Cluster() {
      @Override
      public String name() {
        return "etcd cluster";
      }

      @Override
      public ClientConfig config() {
        return ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root("/" + EtcdCluster.unique("cluster"))
            .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(3))
            .build();
      }

      @Override
      public Duration sessionTimeout() {
        return SESSION;
      }

      /** From etcd's maintenance status. */
      @Override
      public OptionalInt leaderMember() {
        return etcd.leader();
      }

      @Override
      public void killMember(int i) {
        etcd.kill(i);
      }

      /** Returns once the member reports healthy, which etcd only does with a quorum and a Raft leader. */
      @Override
      public void restoreMember(int i) {
        etcd.restart(i);
      }

      /** Through the proxies on the peer URLs ({@link PeerNet}); proven by {@link EtcdIsolationTest}. */
      @Override
      public boolean canIsolate() {
        return true;
      }

      @Override
      public void isolateMember(int i) {
        etcd.isolate(i);
      }

      /** Returns once every running member reports healthy. */
      @Override
      public void rejoinMember(int i) {
        etcd.rejoin(i);
      }
    };
  }
}
