/**
 * Support for backend authors: the mechanisms every backend needs, written once so that each has one owner and one
 * rule across backends. Nothing here does I/O.
 * <ul>
 *   <li>{@link dev.elector.spi.support.SessionClock}: the session deadline from the send time of the last proof of
 *       liveness, less the one safety margin;
 *   <li>{@link dev.elector.spi.support.Backoff}: exponential backoff with full jitter;
 *   <li>{@link dev.elector.spi.support.HeadPublisher}: the {@link dev.elector.spi.HeadWatch} a backend hands out,
 *       which drops repeated heads, never calls its listener after {@code cancel()} returns and fails at most once;
 *   <li>{@link dev.elector.spi.support.Endpoints}: the {@code host:port} check, before any I/O;
 *   <li>{@link dev.elector.spi.support.Errors}: unwrapping the exceptions that futures wrap around a cause.
 * </ul>
 * The rule for keys in a line that Elector did not write is SPEC rule 4.8, applied by each backend's
 * {@code TicketNames}, which knows its own key layout.
 */
package dev.elector.spi.support;
