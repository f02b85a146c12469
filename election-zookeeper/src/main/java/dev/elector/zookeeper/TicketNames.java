package dev.elector.zookeeper;

import dev.elector.Participant;
import dev.elector.spi.TicketCodec;
import java.util.UUID;
import org.apache.zookeeper.data.Stat;

/**
 * Ticket node names and paths, and the rule for children Elector did not write (SPEC rule 4.8). A ticket is an
 * {@code EPHEMERAL_SEQUENTIAL} child {@code <root>/<election>/<uuid>-n_<sequence>}: the uuid is the create's nonce
 * (see {@link Enqueue}), the sequence is its place in line.
 */
final class TicketNames {
  /** Separates the uuid from the sequence number ZooKeeper appends: {@code <uuid>-n_0000000042}. */
  static final String SEQ_MARK = "-n_";
  /** The length of a ticket name's {@code <uuid>-n_} prefix. */
  static final int TICKET_PREFIX = 36 + SEQ_MARK.length();
  /** What {@link #sequence} returns for a name that is not a ticket name. */
  static final long NOT_A_TICKET = Long.MIN_VALUE;

  private TicketNames() {}

  /** The path of an election's node: the parent of its tickets. */
  static String electionPath(String root, String election) {
    return root.equals("/") ? "/" + election : root + "/" + election;
  }

  /**
   * The sequence number ZooKeeper appended to a ticket name ({@code <uuid>-n_} and the parent's 32-bit child version
   * written {@code %010d}: ten digits, or a minus sign and nine or ten digits once the counter has wrapped), or
   * {@link #NOT_A_TICKET}. SPEC rule 4.8: a child whose name is not a ticket name (an operator's node, the election
   * node of an application with a nested root) is no participant: it is never listed and never blocks the line.
   * Parsed in place: it runs for every child of every listing.
   */
  static long sequence(String name) {
    int len = name.length() - TICKET_PREFIX;
    if ((len != 10 && len != 11) || !isUuid(name) || !name.startsWith(SEQ_MARK, 36)) {
      return NOT_A_TICKET;
    }
    int i = TICKET_PREFIX;
    boolean negative = name.charAt(i) == '-';
    if (negative) {
      i++;
    } else if (len != 10) {
      return NOT_A_TICKET;
    }
    long n = 0;
    for (; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return NOT_A_TICKET;
      }
      n = n * 10 + (c - '0');
    }
    n = negative ? -n : n;
    return n < Integer.MIN_VALUE || n > Integer.MAX_VALUE ? NOT_A_TICKET : n;
  }

  static boolean isTicketName(String name) {
    return sequence(name) != NOT_A_TICKET;
  }

  /**
   * True if ZooKeeper can no longer number new children of the ticket's parent uniquely. The parent's child version
   * is a 32-bit int that only goes up: once it reaches 2147483647 the server keeps it there (its data tree ignores
   * the wrapped value), so every later sequential child is numbered 2147483647 too (or, for creates prepared while
   * an earlier one is in flight, a wrapped negative number), and their order is no longer their creation order.
   */
  static boolean exhausted(long seq) {
    return seq == Integer.MAX_VALUE || seq < 0;
  }

  /** True if {@code name} starts with a UUID as {@link UUID#toString()} writes it (8-4-4-4-12 lowercase hex). */
  private static boolean isUuid(String name) {
    for (int i = 0; i < 36; i++) {
      char c = name.charAt(i);
      boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-'
          : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (!ok) {
        return false;
      }
    }
    return true;
  }


  /** True if {@code key} is the path of the child {@code name} (compared in place, no concatenation). */
  static boolean isNodeOf(String key, String name) {
    int at = key.length() - name.length();
    return at > 0 && key.charAt(at - 1) == '/' && key.startsWith(name, at);
  }

  static String parentOf(String key) {
    return key.substring(0, key.lastIndexOf('/'));
  }

  /**
   * The participant a ticket node stands for; a ticket name whose data Elector cannot decode is listed under its node
   * name.
   */
  static Participant participant(String election, String name, byte[] bytes, Stat stat) {
    try {
      return new Participant(election, TicketCodec.candidateId(bytes), stat.getCzxid(), TicketCodec.data(bytes));
    } catch (IllegalArgumentException e) {
      // A ticket name whose data Elector cannot decode (SPEC rule 4.8): it keeps its place in line, shown under its
      // node name with empty data rather than hidden.
      return new Participant(election, name, stat.getCzxid(), new byte[0]);
    }
  }
}
