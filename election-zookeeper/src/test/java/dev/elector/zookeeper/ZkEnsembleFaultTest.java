package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.tck.ClusterFaults;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link ClusterFaults} (issue 8) on a real three-member ensemble: kill the member that leads the ensemble
 * while candidates hand over, restart it, kill a follower, lose quorum and regain it; every term checked.
 */
class ZkEnsembleFaultTest {
  private static final Duration SESSION = Duration.ofSeconds(2);

  private ZkTestEnsemble ensemble;
  /** Members stopped by the scenario, so a restart waits for a quorum of the members running then. */
  private int down;

  @BeforeEach
  void start() throws Exception {
    ensemble = ZkTestEnsemble.start(ClusterFaults.MEMBERS);
  }

  @AfterEach
  void stop() throws Exception {
    ensemble.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    ClusterFaults.run(new ClusterFaults.Cluster() {
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
        List<String> endpoints = ensemble.endpoints();
        for (int i = 0; i < endpoints.size(); i++) {
          if (fourLetter(endpoints.get(i), "srvr").contains("Mode: leader")) {
            return OptionalInt.of(i);
          }
        }
        return OptionalInt.empty();
      }

      @Override
      public void killMember(int i) throws Exception {
        ensemble.stopMember(i);
        down++;
      }

      @Override
      public void restoreMember(int i) throws Exception {
        ensemble.startMember(i);
        down--;
        ensemble.awaitQuorum(ClusterFaults.MEMBERS - down);
      }
    });
  }

  static String fourLetter(String endpoint, String command) {
    int colon = endpoint.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))),
          2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }
}
