/** Elector's in-memory backend ({@code mem://cluster/root}): every guarantee within one JVM, for unit tests. */
module dev.elector.mem {
  requires transitive dev.elector;

  exports dev.elector.mem;

  provides dev.elector.spi.ElectionProvider with dev.elector.mem.MemElectionProvider;
}
