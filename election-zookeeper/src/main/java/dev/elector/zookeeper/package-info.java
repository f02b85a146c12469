/**
 * Elector's ZooKeeper backend. Applications do not use this package directly: they connect with
 * {@code Elections.connect("zookeeper://h1:2181,h2:2181/my-app?sessionTimeout=10s")}, and
 * {@link dev.elector.zookeeper.ZooKeeperElectionProvider} is found with {@link java.util.ServiceLoader}. Everything
 * else here is package-private.
 *
 * <p>Each candidate holds an {@code EPHEMERAL_SEQUENTIAL} znode {@code <root>/<election>/<uuid>-n_<sequence>}; the
 * line is ordered by the sequence suffix, each follower watches only its predecessor, and the fencing token is the
 * znode's creation zxid ({@code czxid}). See {@code docs/ARCHITECTURE.md}, "ZooKeeper".
 */
package dev.elector.zookeeper;
