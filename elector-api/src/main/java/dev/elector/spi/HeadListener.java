package dev.elector.spi;

import dev.elector.Participant;
import java.util.Optional;

/** Receives the head of an election's line from {@link ElectionBackend#watchHead}. */
public interface HeadListener {
  /**
   * The head of the line is now {@code head} (empty: the line is empty). The first call reports the head when the
   * watch was set; later calls may repeat a value, the engine removes duplicates.
   */
  void headChanged(Optional<Participant> head);

  /** The watch broke (for example the session expired); no further calls follow. */
  void failed(Throwable cause);
}
