/**
 * Elector's technology-compatibility kit, for backend authors: subclass {@code ElectionTck} with a
 * {@code TckFixture} that starts your coordination service, and the kit checks every rule of
 * {@code SPEC.md} through the public API, under faults injected with {@link dev.elector.tck.FaultProxy}. The
 * {@code History} recorder and checker are reusable by soak tests.
 */
package dev.elector.tck;
