package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The tool is a client like any other: it may use only Elector's public API, never the engine's internals. */
class PublicApiOnlyTest {
  @Test
  void noSourceOfTheToolReachesIntoTheEngine() throws IOException {
    Path sources = Path.of("src/main/java/dev/elector/cli");
    assertThat(sources).isDirectory();
    List<Path> offenders;
    try (Stream<Path> files = Files.walk(sources)) {
      offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
        try {
          return Files.readString(p).contains("dev.elector.internal");
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList();
    }
    assertThat(offenders).as("CLI sources that use dev.elector.internal").isEmpty();
  }
}
