/**
 * The benchmark harness: runs Elector and its peers (Curator {@code LeaderLatch} and {@code LeaderSelector}, jetcd's
 * {@code Election}) against the same in-process ZooKeeper server and the same etcd process in one run, and prints one
 * table of ratios. Not a library: nothing here is for application code.
 */
package dev.elector.bench;
