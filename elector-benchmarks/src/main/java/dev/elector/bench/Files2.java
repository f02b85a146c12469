package dev.elector.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers. */
final class Files2 {
  private Files2() {}

  /** Deletes a directory tree, best effort: a leftover temp file must not fail a finished run. */
  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          System.err.println("could not delete " + p + ": " + e);
        }
      });
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }
}
