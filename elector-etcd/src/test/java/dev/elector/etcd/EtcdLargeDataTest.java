package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Participant;
import dev.elector.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every candidate at the largest data allowed (512 KiB). The line with its values is larger
 * than one answer may be (64 MiB); {@code leader()}, {@code participants()} and an observer must still answer.
 * 130 candidates (about 66 MB of data) by default, which is the smallest line past the limit; more with
 * {@code -Delector.etcd.largeData.candidates=N}.
 */
class EtcdLargeDataTest {
  private static final int MAX_DATA = 512 * 1024;
  private static final int CANDIDATES = Integer.getInteger("elector.etcd.largeData.candidates", 130);
  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();

  @Test
  void aLineLargerThanOneAnswerIsStillReadByLeaderParticipantsAndObservers() throws Exception {
    ClientConfig config = ClientConfig.builder("etcd").endpoints(etcd.endpoints())
        .root("/" + EtcdCluster.unique("large")).sessionTimeout(Duration.ofSeconds(10))
        .connectTimeout(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(10)).maxDataBytes(MAX_DATA)
        .build();
    try (ElectionClient writer = Elections.connect(config); ElectionClient reader = Elections.connect(config)) {
      List<Candidate> candidates = new ArrayList<>();
      for (int i = 0; i < CANDIDATES; i++) {
        byte[] data = new byte[MAX_DATA];
        Arrays.fill(data, (byte) ('a' + i % 26));
        candidates.add(writer.election("big").candidate("c" + i).data(data).join());
      }
      // Whoever is first in line (a join that timed out on a busy machine goes to the back, so not always c0).
      await().atMost(WAIT).until(() -> reader.election("big").participants().toCompletableFuture()
          .get(30, TimeUnit.SECONDS).size() == CANDIDATES);
      List<Participant> line = reader.election("big").participants().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(line).allSatisfy(p -> assertThat(p.data()).hasSize(MAX_DATA));
      String first = line.get(0).candidateId();
      String second = line.get(1).candidateId();
      candidates.get(Integer.parseInt(first.substring(1))).awaitLeadership(WAIT);

      CompletableFuture<Optional<Participant>> firstReport = new CompletableFuture<>();
      Subscription sub = reader.election("big").observe(Runnable::run, firstReport::complete);
      Optional<Participant> head = firstReport.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(head).map(Participant::candidateId).hasValue(first);
      assertThat(head.get().data()).hasSize(MAX_DATA);
      Optional<Participant> leader = reader.election("big").leader().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      assertThat(leader).map(Participant::candidateId).hasValue(first);

      // A handoff reaches the observer too.
      List<Optional<Participant>> seen = new CopyOnWriteArrayList<>();
      Subscription sub2 = reader.election("big").observe(Runnable::run, seen::add);
      candidates.get(Integer.parseInt(first.substring(1))).close();
      candidates.get(Integer.parseInt(second.substring(1))).awaitLeadership(WAIT);
      await().atMost(WAIT).until(() -> seen.stream().anyMatch(h -> h.map(Participant::candidateId)
          .equals(Optional.of(second))));
      sub.cancel();
      sub2.cancel();
      for (Candidate c : candidates) {
        c.close();
      }
    }
  }
}
