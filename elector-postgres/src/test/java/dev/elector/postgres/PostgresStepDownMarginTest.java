package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.tck.StepDownMargins;
import dev.elector.testservers.PostgresServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures, on a real PostgreSQL, the margin between a cut-off leader's step-down and its successor's election, and
 * the crash failover time ({@link StepDownMargins}, in the kit). Prints the figures; asserts only the safety rule (a positive
 * margin), never a timing. Run it with {@code ./mvnw -pl elector-postgres -am test -Dtest=PostgresStepDownMarginTest
 * -Delector.test.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("measurement")
class PostgresStepDownMarginTest {
  private static final int ROUNDS = 5;

  @Test
  void marginBetweenStepDownAndSuccessor() throws Exception {
    StepDownMargins.Result r;
    try (PostgresServer server = PostgresServer.start(false)) {
      r = StepDownMargins.measure(server.endpoint(), PgMargins::config, "margin", ROUNDS, 0);
    }
    System.out.println("PostgreSQL, session timeout " + PgMargins.TIMEOUT.toMillis() + " ms, " + ROUNDS
        + " rounds: " + r);
    assertThat(r.smallest()).as("rule 1.3: the successor was elected before the old leader stepped down")
        .isPositive();
  }
}
