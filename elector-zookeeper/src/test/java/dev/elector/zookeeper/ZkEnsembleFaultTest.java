package dev.elector.zookeeper;

import dev.elector.tck.ClusterFaults;
import dev.elector.tck.MemberIsolation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link ClusterFaults} and {@link MemberIsolation} on a real three-member ensemble of child JVMs
 * ({@link ZkProcessFixture}): members are killed with SIGKILL, and one member at a time is cut off from the others by
 * the proxies on its peer links while its clients stay connected to it.
 */
class ZkEnsembleFaultTest {
  private final ZkProcessFixture fixture = new ZkProcessFixture();

  @BeforeEach
  void start() throws Exception {
    fixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    fixture.withMemberLogs(() -> ClusterFaults.run(fixture));
  }

  @Test
  void anIsolatedMembersLeaderEndsBeforeItsSuccessorStarts() throws Exception {
    fixture.withMemberLogs(() -> MemberIsolation.run(fixture));
  }
}
