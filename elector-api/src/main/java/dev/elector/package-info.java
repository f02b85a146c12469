/**
 * Elector's application API: connect with {@link dev.elector.Elections}, get an {@link dev.elector.Election} by
 * name, join it as a {@link dev.elector.Candidate}, and act as leader only while the
 * {@link dev.elector.Leadership} term is valid, passing its fencing token along. For application code. The rules
 * every backend keeps are numbered in {@code SPEC.md}.
 */
package dev.elector;
