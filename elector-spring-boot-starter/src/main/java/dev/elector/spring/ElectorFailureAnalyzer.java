package dev.elector.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a rejected {@code elector.*} property into a startup failure that names the property and the rule. */
class ElectorFailureAnalyzer extends AbstractFailureAnalyzer<InvalidElectorPropertyException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, InvalidElectorPropertyException cause) {
    String description = "Elector could not start: property '" + cause.property() + "' has the invalid value '"
        + cause.value() + "'.\n\nReason: " + cause.reason().what() + " " + describe(cause.reason().value())
        + " breaks the rule: " + cause.reason().rule() + ".";
    return new FailureAnalysis(description, action(cause.property()), cause);
  }

  private static String describe(Object value) {
    return value == null ? "(none)" : "'" + value + "'";
  }

  private static String action(String property) {
    return switch (property) {
      case "elector.connect" -> "Set 'elector.connect' to a backend URI such as"
          + " zookeeper://127.0.0.1:2181/my-app, etcd://127.0.0.1:2379/my-app or mem://local, or set"
          + " 'elector.enabled=false'.";
      case "elector.election" -> "Set 'elector.election' to a valid election name, or remove it to run a client"
          + " only.";
      default -> "Set '" + property + "' to a value that follows the rule above, or remove it for the default.";
    };
  }
}
