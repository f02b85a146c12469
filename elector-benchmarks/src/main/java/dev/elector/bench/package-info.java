/**
 * The benchmark harness: runs Elector and its peers (Curator {@code LeaderLatch} and {@code LeaderSelector}, jetcd's
 * {@code Election}) against the same ZooKeeper server (a JVM of its own) and the same etcd process in one run,
 * interleaved, and prints one table of ratios with their bootstrap intervals. Not a library: nothing here is for
 * application code.
 */
package dev.elector.bench;
