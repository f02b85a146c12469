package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against a three-member etcd cluster: killing the member that leads the Raft group, and killing a follower, never
 * yields two valid terms at once, and the election carries on.
 */
class EtcdThreeMemberTest {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private static final Duration BOUND = SESSION.plusSeconds(15);

  private EtcdCluster etcd;
  private final List<ElectionClient> clients = new ArrayList<>();
  private final List<Candidate> candidates = new CopyOnWriteArrayList<>();
  private final AtomicBoolean sampling = new AtomicBoolean(true);
  private final AtomicInteger maxValid = new AtomicInteger();
  private final List<Long> tokens = new CopyOnWriteArrayList<>();
  private Thread sampler;

  @BeforeEach
  void start() {
    etcd = EtcdCluster.start(3);
  }

  @AfterEach
  void stop() throws InterruptedException {
    sampling.set(false);
    if (sampler != null) {
      sampler.join(5_000);
    }
    candidates.forEach(Candidate::close);
    clients.forEach(ElectionClient::close);
    etcd.close();
  }

  /** Samples every candidate's term: how many are valid at one instant, and the tokens of successive terms. */
  private void startSampler() {
    sampler = new Thread(() -> {
      while (sampling.get()) {
        int valid = 0;
        for (Candidate c : candidates) {
          Optional<Leadership> l = c.leadership();
          if (l.isPresent() && l.get().isValid()) {
            valid++;
            long token = l.get().token();
            if (tokens.isEmpty() || tokens.get(tokens.size() - 1) != token) {
              tokens.add(token);
            }
          }
        }
        maxValid.accumulateAndGet(valid, Math::max);
        Thread.onSpinWait();
      }
    }, "leader-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  private Candidate leader() {
    return candidates.stream().filter(Candidate::isLeader).findFirst().orElse(null);
  }

  private void awaitLeader() {
    await().atMost(BOUND).until(() -> candidates.stream().anyMatch(c -> c.leadership()
        .map(Leadership::isValid).orElse(false)));
  }

  @Test
  void killingTheRaftLeaderAndAFollowerNeverYieldsTwoLeaders() throws Exception {
    ClientConfig config = ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root("/three")
        .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(5)).build();
    for (int i = 0; i < 3; i++) {
      ElectionClient client = Elections.connect(config);
      clients.add(client);
      candidates.add(client.election("e").join("c" + i));
    }
    startSampler();
    awaitLeader();

    OptionalInt raftLeader = etcd.leader();
    assertThat(raftLeader).isPresent();
    etcd.kill(raftLeader.getAsInt());
    // The election carries on: a leader holds a valid term again (the same one, or a successor).
    awaitLeader();
    Candidate first = leader();
    first.close();
    candidates.remove(first);
    await().atMost(BOUND).until(() -> leader() != null && leader() != first);
    awaitLeader();

    etcd.restart(raftLeader.getAsInt());
    OptionalInt newLeader = etcd.leader();
    assertThat(newLeader).isPresent();
    int follower = (newLeader.getAsInt() + 1) % 3;
    etcd.kill(follower);
    awaitLeader();
    Candidate second = leader();
    second.close();
    candidates.remove(second);
    await().atMost(BOUND).until(() -> leader() != null);
    awaitLeader();

    sampling.set(false);
    sampler.join(5_000);
    assertThat(maxValid.get()).as("rule 1.1: valid terms at one instant").isEqualTo(1);
    assertThat(tokens).as("rule 1.2: successive terms' tokens").isSorted().doesNotHaveDuplicates();
    assertThat(tokens).hasSizeGreaterThanOrEqualTo(3);
  }
}
