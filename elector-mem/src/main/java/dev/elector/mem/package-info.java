/**
 * The in-memory backend: scheme {@code mem}, URI {@code mem://<cluster>/<root>}. All clients in one JVM naming the
 * same cluster share one simulated coordination service, with the same guarantees as the real backends and
 * {@link dev.elector.mem.MemCluster controls} to expire, partition, silence and heal a session. For applications'
 * unit tests and for the TCK's self-tests.
 */
package dev.elector.mem;
