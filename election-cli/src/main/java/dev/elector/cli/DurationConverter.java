package dev.elector.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as URIs take them: {@code 500ms}, {@code 2s}, {@code 1m}, {@code 1h}, or ISO-8601 ({@code PT2S}). */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  static Duration parse(String value) {
    String t = value.strip().toLowerCase(Locale.ROOT);
    Matcher m = SHORT.matcher(t);
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
      Duration d = Duration.parse(value.strip());
      if (!d.isNegative()) {
        return d;
      }
    } catch (DateTimeParseException e) {
      // fall through to the message below
    }
    throw new TypeConversionException("'" + value + "' is not a duration such as 500ms, 2s, 1m or PT2S");
  }

  /** Short human form: {@code 250ms}, {@code 2s}, {@code 1.5s}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return String.format(Locale.ROOT, "%.2fs", ms / 1000.0);
  }
}
