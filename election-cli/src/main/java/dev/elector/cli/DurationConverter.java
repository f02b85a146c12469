package dev.elector.cli;

import dev.elector.InvalidInputException;
import dev.elector.InputRules;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as URIs take them: {@code 500ms}, {@code 2s}, {@code 1m}, {@code 1h}, or ISO-8601 ({@code PT2S}). */
final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** Parses as URIs do ({@link InputRules#parseDuration}), and rejects negative durations. */
  static Duration parse(String value) {
    try {
      Duration d = InputRules.parseDuration("duration", value);
      if (!d.isNegative()) {
        return d;
      }
    } catch (InvalidInputException e) {
      // fall through to picocli's message below
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
