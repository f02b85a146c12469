package dev.elector.spring;

import dev.elector.BackendUnavailableException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a backend that did not answer at startup into a failure that names {@code elector.connect}. */
class BackendUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<BackendUnavailableException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, BackendUnavailableException cause) {
    return new FailureAnalysis("Elector could not open a session with the backend named by 'elector.connect': "
        + cause.getMessage(),
        "Check that the backend in 'elector.connect' runs and is reachable from here, or raise its connectTimeout"
            + " option (e.g. ?connectTimeout=15s); set 'elector.enabled=false' to start without Elector.", cause);
  }
}
