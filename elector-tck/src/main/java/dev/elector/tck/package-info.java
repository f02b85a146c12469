/**
 * Elector's technology-compatibility kit, for backend authors: subclass {@code ElectionTck} with a
 * {@code TckFixture} that starts your coordination service, and the kit checks every rule of
 * {@code SPEC.md} through the public API, under faults injected with {@link dev.elector.faultproxy.FaultProxy}. The
 * {@code History} recorder and checker are reusable by soak tests; {@code Soak} (a seeded random-fault soak) and
 * {@code ClusterFaults} (leader, follower and quorum loss on a three-member cluster) are ready-made ones that take a
 * few backend hooks.
 */
package dev.elector.tck;
