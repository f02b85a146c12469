package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.elector.BackendUnavailableException;
import dev.elector.InvalidInputException;
import java.net.InetAddress;
import java.net.ServerSocket;
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

    InvalidElectorPropertyException cause = find(failure, InvalidElectorPropertyException.class);
    assertThat(cause.property()).isEqualTo("elector.connect");
    assertThat(cause.reason()).isInstanceOf(InvalidInputException.class);
    FailureAnalysis analysis = new ElectorFailureAnalyzer().analyze(failure);
    assertThat(analysis.getDescription())
        .contains("'elector.connect'", "zookeeper:/127.0.0.1:2181/app", cause.reason().rule());
    assertThat(analysis.getAction()).contains("elector.connect", "zookeeper://127.0.0.1:2181/my-app");
  }

  @Test
  void aNonPositiveJobStopTimeoutFailsStartupNamingTheProperty() {
    String cluster = "stop-timeout-" + java.util.UUID.randomUUID();
    Throwable failure = catchThrowable(() -> TestApp.start(false, "elector.connect=mem://" + cluster + "/app",
        "elector.election=jobs", "elector.candidate-id=a", "elector.job-stop-timeout=0s"));

    InvalidElectorPropertyException cause = find(failure, InvalidElectorPropertyException.class);
    assertThat(cause.property()).isEqualTo("elector.job-stop-timeout");
    assertThat(cause.getMessage()).contains("must be positive");
  }

  @Test
  void anUnreachableBackendFailsStartupWithinTheConnectTimeoutNamingTheProperty() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String uri = "zookeeper://127.0.0.1:" + port + "/app?connectTimeout=1s";
    Throwable failure = catchThrowable(() -> TestApp.start(false, "elector.connect=" + uri));

    assertThat(find(failure, BackendUnavailableException.class)).isNotNull();
    FailureAnalysis analysis = new BackendUnavailableFailureAnalyzer().analyze(failure);
    assertThat(analysis.getDescription()).contains("'elector.connect'", "127.0.0.1:" + port);
    assertThat(analysis.getAction()).contains("connectTimeout");
  }

  @Test
  void theAnalyzersAreRegisteredForSpringBoot() {
    // Boot's own analyzers need constructor arguments that only a running application supplies: skip those.
    List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation()
        .load(FailureAnalyzer.class, null, (type, name, failure) -> { });
    assertThat(analyzers).anyMatch(ElectorFailureAnalyzer.class::isInstance)
        .anyMatch(BackendUnavailableFailureAnalyzer.class::isInstance);
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in", t);
  }
}
