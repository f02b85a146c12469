/**
 * The engine that turns the SPI's queue primitives into candidates, terms, callbacks and observation, once for all
 * backends. Not exported: <strong>not for application or backend code</strong>.
 */
package dev.elector.internal;
