package dev.elector.etcd;

import dev.elector.tck.Soak;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCK's {@link Soak} on a real single-member etcd: random faults from a printed seed over hundreds of
 * candidates, every term checked, heap and thread bounds. Short form by default (about 30 s of faults); the full form
 * on demand: {@code -Delector.soak.duration=5m} (and {@code -Delector.soak.seed=N} to replay a run).
 */
class EtcdSoakTest {
  private final EtcdFixture fixture = new EtcdFixture(1);

  @BeforeEach
  void start() {
    fixture.start();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  @Test
  void randomFaultsOverManyCandidatesKeepEveryRule() throws Exception {
    Soak.run(fixture);
  }
}
