package dev.elector.etcd;

import dev.elector.tck.ClusterFaults;
import dev.elector.tck.MemberIsolation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link ClusterFaults} on a real three-member etcd cluster: kill the member that leads the Raft group while
 * candidates hand over, restart it, kill a follower, lose quorum and regain it; and its {@link MemberIsolation}: one
 * member cut off from its peers while its clients stay on it. Every term checked.
 */
class EtcdClusterFaultTest {
  private final EtcdFixture fixture = EtcdFixture.isolatable(ClusterFaults.MEMBERS);

  @BeforeEach
  void start() {
    fixture.start();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    ClusterFaults.run(fixture);
  }

  @Test
  void anIsolatedMembersLeaderEndsBeforeItsSuccessorStarts() throws Exception {
    MemberIsolation.run(fixture);
  }
}
