package dev.elector.spring;

import dev.elector.InvalidInputException;

/** An {@code elector.*} property whose value Elector rejects; {@link ElectorFailureAnalyzer} explains it at startup. */
public class InvalidElectorPropertyException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String property;
  private final String value;

  public InvalidElectorPropertyException(String property, String value, InvalidInputException cause) {
    super("Property '" + property + "' = '" + value + "' is invalid: " + cause.getMessage(), cause);
    this.property = property;
    this.value = value;
  }

  /** The property's name, for example {@code elector.connect}. */
  public String property() {
    return property;
  }

  /** The value rejected. */
  public String value() {
    return value;
  }

  /** Elector's reason, which names the part of the value and the rule. */
  public InvalidInputException reason() {
    return (InvalidInputException) getCause();
  }
}
