package dev.elector.spi;

/** A head watch set with {@link ElectionBackend#watchHead}. */
public interface HeadWatch {
  /** Stops the watch and releases what it holds; no call to its listener starts afterwards. Idempotent. */
  void cancel();
}
