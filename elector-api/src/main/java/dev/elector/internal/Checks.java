package dev.elector.internal;

import dev.elector.InvalidInputException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Input rules (SPEC rule 4.3), checked before any I/O. Not for application code. A null value is a programming error,
 * not bad input: it throws {@link NullPointerException} naming the parameter, as the JDK's APIs do.
 */
public final class Checks {
  /** Longest election name or root path segment. */
  public static final int MAX_NAME_LENGTH = 128;
  /** Longest candidate id, in characters. */
  public static final int MAX_ID_LENGTH = 256;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._\\-]*");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private Checks() {}

  /** Election names and root segments: 1..128 of {@code [A-Za-z0-9._-]}, not starting with '.' or '-'. */
  public static String name(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > MAX_NAME_LENGTH) {
      throw new InvalidInputException(what, value, "must be 1 to " + MAX_NAME_LENGTH + " characters long");
    }
    if (value.indexOf('/') >= 0) {
      throw new InvalidInputException(what, value, "must not contain '/'");
    }
    if (!NAME.matcher(value).matches()) {
      throw new InvalidInputException(
          what, value, "must use only letters, digits, '.', '_' and '-', and start with a letter, digit or '_'");
    }
    return value;
  }

  /**
   * Candidate ids: 1..256 characters, not blank, no control characters, well-formed UTF-16 (a lone surrogate would
   * be encoded as '?', so two different ids could be stored as one).
   */
  public static String candidateId(String value) {
    Objects.requireNonNull(value, "candidateId");
    if (value.isBlank() || value.length() > MAX_ID_LENGTH) {
      throw new InvalidInputException(
          "candidate id", value, "must be 1 to " + MAX_ID_LENGTH + " characters long and not blank");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new InvalidInputException("candidate id", value, "must not contain control characters");
      }
      if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++; // a well-formed pair: one supplementary character
      } else if (Character.isSurrogate(c)) {
        throw new InvalidInputException("candidate id", value.replace(c, '\uFFFD'),
            "must be well-formed UTF-16: lone surrogate U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                + " at index " + i);
      }
    }
    return value;
  }

  public static byte[] data(byte[] data, int maxBytes) {
    Objects.requireNonNull(data, "data");
    if (data.length > maxBytes) {
      throw new InvalidInputException(
          "candidate data", data.length + " bytes", "must be at most maxDataBytes=" + maxBytes + " bytes");
    }
    return data.clone();
  }

  /** {@code value}, if it is positive; a null value is not, and is refused the same way. */
  public static Duration positive(String what, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new InvalidInputException(what, value, "must be positive");
    }
    return value;
  }

  /** {@code value}, if it is positive and at most {@code max}; null is a programming error here. */
  public static Duration positive(String what, Duration value, Duration max) {
    Objects.requireNonNull(value, what);
    positive(what, value);
    if (value.compareTo(max) > 0) {
      throw new InvalidInputException(what, value, "must be at most " + max);
    }
    return value;
  }

  /** Parses {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h} or an ISO-8601 duration such as {@code PT10S}. */
  public static Duration parseDuration(String what, String text) {
    Objects.requireNonNull(text, what);
    if (text.isBlank()) {
      throw new InvalidInputException(what, text, "must be a duration such as 500ms, 10s, 2m or PT10S");
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    var m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(what, text, "must be a duration such as 500ms, 10s, 2m or PT10S");
    }
  }
}
