package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.elector.InvalidInputException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;

/** A wrong {@code elector.connect} fails startup before any I/O, with an explanation naming the property and rule. */
class StartupFailureTest {

  @Test
  void aBadConnectUriFailsStartupNamingThePropertyAndTheRule() {
    Throwable failure = catchThrowable(() -> TestApp.start(false, "elector.connect=zookeeper:/127.0.0.1:2181/app",
        "elector.election=jobs"));

    InvalidElectorPropertyException cause = find(failure);
    assertThat(cause.property()).isEqualTo("elector.connect");
    assertThat(cause.reason()).isInstanceOf(InvalidInputException.class);
    FailureAnalysis analysis = new ElectorFailureAnalyzer().analyze(failure);
    assertThat(analysis.getDescription())
        .contains("'elector.connect'", "zookeeper:/127.0.0.1:2181/app", cause.reason().rule());
    assertThat(analysis.getAction()).contains("elector.connect", "zookeeper://127.0.0.1:2181/my-app");
  }

  @Test
  void theAnalyzerIsRegisteredForSpringBoot() {
    // Boot's own analyzers need constructor arguments that only a running application supplies: skip those.
    List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation()
        .load(FailureAnalyzer.class, null, (type, name, failure) -> { });
    assertThat(analyzers).anyMatch(ElectorFailureAnalyzer.class::isInstance);
  }

  private static InvalidElectorPropertyException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidElectorPropertyException e) {
        return e;
      }
    }
    throw new AssertionError("no InvalidElectorPropertyException in", t);
  }
}
