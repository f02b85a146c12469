package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Which keys are tickets (SPEC rule 4.8). A ticket is a key {@code <root>/<election>/<name>} whose name is the lease
 * in hex, a dash and a random UUID: {@code 694d7e1f0a2b3c4d-0b5e…}. Any other key under an election's prefix was
 * written by someone else (an operator's note, or the tickets of an application whose root is nested inside this
 * election, {@code <root>/<election>/<its election>/<its ticket>}): it is never in line, never blocks a waiter and
 * is never listed. A key with a ticket name whose value cannot be decoded is a ticket: it keeps its place. Also
 * where an election's keys are: its prefix, the end of its key range, and keys as etcd's bytes.
 */
final class TicketNames {
  private static final Pattern NAME =
      Pattern.compile("[0-9a-f]{1,16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private TicketNames() {}

  /** A new ticket name for a key held by {@code lease}; unique for all time. */
  static String create(long lease) {
    return Long.toHexString(lease) + "-" + UUID.randomUUID();
  }

  /** Whether {@code name} (the part of a key after its election's prefix) names a ticket. */
  static boolean isTicketName(String name) {
    return NAME.matcher(name).matches();
  }

  /** The ticket name of {@code key} if it is a ticket directly under {@code electionPrefix}, else null. */
  static String ticketName(String key, String electionPrefix) {
    if (!key.startsWith(electionPrefix)) {
      return null;
    }
    String name = key.substring(electionPrefix.length());
    return isTicketName(name) ? name : null;
  }

  /** "{root}/{election}/": the prefix of every key of {@code election}. */
  static String prefix(String root, String election) {
    return (root.equals("/") ? "" : root) + "/" + election + "/";
  }

  /** The end of the key range of {@code prefix}, which ends in '/': the range ends before '0', the next character. */
  static ByteSequence rangeEnd(String prefix) {
    return bytes(rangeEndOf(prefix));
  }

  /** {@link #rangeEnd} as a String. */
  static String rangeEndOf(String prefix) {
    return prefix.substring(0, prefix.length() - 1) + "0";
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }
}
