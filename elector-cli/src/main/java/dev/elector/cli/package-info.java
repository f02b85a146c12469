/**
 * The {@code elector} command-line tool: a live demo on an embedded ZooKeeper server, {@code campaign} (run a
 * command only while leader), {@code leader}, {@code observe}, {@code participants} and {@code server}. For people
 * at a shell, not for application code: the only public class is {@link dev.elector.cli.Main}, the jar's entry
 * point.
 */
package dev.elector.cli;
