package dev.elector;

import java.util.Objects;

/**
 * A name, id, data or configuration value broke a rule (SPEC rule 4.3). Thrown before any I/O. The message names
 * the value and the rule; {@link #value()} and {@link #rule()} give them to code.
 */
public final class InvalidInputException extends ElectorException {
  private static final long serialVersionUID = 1L;
  private final String what;
  private final transient Object value;
  private final String rule;

  public InvalidInputException(String what, Object value, String rule) {
    super(what + " " + quote(value) + " is invalid: " + rule);
    this.what = Objects.requireNonNull(what, "what");
    this.value = value;
    this.rule = Objects.requireNonNull(rule, "rule");
  }

  private static String quote(Object value) {
    if (value == null) {
      return "null";
    }
    String s = String.valueOf(value);
    if (s.length() > 80) {
      s = s.substring(0, 77) + "...";
    }
    return value instanceof CharSequence ? "'" + s + "'" : s;
  }

  /** What the value is, for example {@code "election name"}. */
  public String what() {
    return what;
  }

  /** The rejected value (may be null). */
  public Object value() {
    return value;
  }

  /** The rule the value broke, as a sentence fragment. */
  public String rule() {
    return rule;
  }
}
