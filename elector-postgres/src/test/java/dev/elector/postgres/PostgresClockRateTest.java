package dev.elector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.elector.tck.StepDownMargins;
import dev.elector.testservers.FakeClock;
import dev.elector.testservers.PostgresServer;
import java.time.Duration;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * Rule 1.1 when the database's clock runs faster than the client's. A session row expires on the database's clock,
 * so a database whose clock runs 5 % fast expires a cut-off leader's row about 95 ms sooner, at a 2 s timeout,
 * than the client's clock says. The session deadline's margin (timeout / 10, {@code SessionClock}) is meant to
 * cover a server clock up to 11 % fast: the cut-off leader must still step down before its successor is elected.
 * The server runs under libfaketime, and {@code BYSTANDERS} more sessions reap expired rows often, so the successor
 * follows the database's expiry closely. {@code -Delector.pg.clockRate=1.25} tries a rate beyond what the margin
 * covers: the test then fails by rule 1.1 (it did in each of 3 runs when it was written).
 */
class PostgresClockRateTest {
  private static final double RATE = Double.parseDouble(System.getProperty("elector.pg.clockRate", "1.05"));
  private static final int ROUNDS = Integer.getInteger("elector.pg.clockRateRounds", 2);
  /** Sessions that reap expired rows often enough for a successor to follow the expiry closely. */
  private static final int BYSTANDERS = 6;

  @Test
  void aCutOffLeaderStepsDownBeforeItsSuccessorWhenTheDatabaseClockRunsFast() throws Exception {
    StepDownMargins.Result r;
    double seen;
    try (PostgresServer server = PostgresServer.startWithClockRate(false, RATE)) {
      seen = clockRate(server);
      // Half way from 1 to the rate at least: a server without libfaketime (x1.00) never passes.
      assertThat(seen).as("the database clock's rate: the fault is not in force")
          .isGreaterThan(1 + (RATE - 1) / 2).isLessThan(RATE + (RATE - 1) / 2);
      r = StepDownMargins.measure(server.endpoint(), PgMargins::config, "fast-clock", ROUNDS, BYSTANDERS);
    }
    System.out.printf("PostgreSQL clock at x%.2f (measured x%.3f), session timeout %d ms, %d rounds: %s%n", RATE,
        seen, PgMargins.TIMEOUT.toMillis(), ROUNDS, r);
    assertThat(r.smallest())
        .as("rule 1.1: with the database clock at x%.2f the successor was elected %d ms before the cut-off leader "
            + "stepped down (%s)", RATE, -r.smallest(), r)
        .isPositive();
  }

  /** The database clock's rate against this host's, over two seconds. */
  private static double clockRate(PostgresServer server) throws Exception {
    try (Connection c = PgAdmin.connect(server); Statement st = c.createStatement()) {
      return FakeClock.measureRate(() -> epoch(st), Duration.ofSeconds(2));
    }
  }

  private static double epoch(Statement st) throws Exception {
    try (ResultSet rs = st.executeQuery("SELECT extract(epoch FROM clock_timestamp())")) {
      rs.next();
      return rs.getDouble(1);
    }
  }
}
