/**
 * The backend SPI: what a coordination service must offer so that Elector's engine can run elections on it.
 * <strong>For backend authors, not for application code.</strong>
 *
 * <p>A backend offers a <em>session</em> (a ZooKeeper session, an etcd lease) and, inside it, an ordered
 * <em>line</em> of {@link dev.elector.spi.Ticket tickets} per election. The engine in {@code elector-api} turns
 * these primitives into candidates, terms, callbacks and observation, identically for every backend. Rule numbers
 * refer to {@code SPEC.md}; the TCK ({@code elector-tck}) verifies them.
 */
package dev.elector.spi;
