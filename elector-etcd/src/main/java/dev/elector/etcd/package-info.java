/**
 * The etcd backend for Elector, built on etcd's key-value, lease and watch APIs (not on etcd's election service).
 * Applications do not use this package directly: put the {@code elector-etcd} artifact on the class path and connect
 * with {@code Elections.connect("etcd://host:2379/root?sessionTimeout=10s")}. The only public class is the
 * {@link dev.elector.etcd.EtcdElectionProvider}, found by {@link java.util.ServiceLoader}.
 */
package dev.elector.etcd;
