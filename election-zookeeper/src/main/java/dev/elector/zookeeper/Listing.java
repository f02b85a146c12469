package dev.elector.zookeeper;

import static dev.elector.zookeeper.TicketNames.NOT_A_TICKET;
import static dev.elector.zookeeper.TicketNames.isNodeOf;
import static dev.elector.zookeeper.TicketNames.sequence;

import java.util.Arrays;
import java.util.List;

/**
 * An election's tickets in line order, parsed and sorted once per listing (one {@code getChildren} reply) and shared
 * by every ticket that waits for that listing: at 10,000 tickets a sort (or a scan) per waiting ticket would be
 * quadratic. The order is the sequence number, never the whole name; children that are not ticket names are left
 * out (SPEC rule 4.8).
 */
final class Listing {
  final String[] names;
  final long[] seqs;

  private Listing(String[] names, long[] seqs) {
    this.names = names;
    this.seqs = seqs;
  }

  static Listing of(List<String> children) {
    int n = children.size();
    // Sort (sequence, index) pairs packed in one long, with no object per child: the counter read as unsigned
    // (wrapped numbers after the largest) times n plus the index is unique and orders by sequence first; it
    // cannot overflow (2^32 × n stays below 2^63 for any listing that fits in a reply). Equal numbers (an
    // exhausted counter, see exhausted()) are then ordered by name, so every listing orders them alike.
    long[] keys = new long[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      long seq = sequence(children.get(i));
      if (seq != NOT_A_TICKET) {
        keys[m++] = unsigned(seq) * n + i;
      }
    }
    Arrays.sort(keys, 0, m);
    String[] names = new String[m];
    long[] seqs = new long[m];
    for (int j = 0; j < m; j++) {
      seqs[j] = keys[j] / n;
      names[j] = children.get((int) (keys[j] % n));
    }
    for (int j = 0; j < m; ) {
      int k = j + 1;
      while (k < m && seqs[k] == seqs[j]) {
        k++;
      }
      if (k - j > 1) {
        Arrays.sort(names, j, k);
      }
      j = k;
    }
    return new Listing(names, seqs);
  }

  /** The counter as ZooKeeper counts it: 0 to 2^32 - 1, wrapped (negative) numbers after the largest. */
  static long unsigned(long seq) {
    return seq & 0xFFFF_FFFFL;
  }

  /** The name first in line among {@code children}, or null: one pass, no sort, for the head watch. */
  static String head(List<String> children) {
    String best = null;
    long bestSeq = Long.MAX_VALUE;
    for (String c : children) {
      long seq = sequence(c);
      if (seq == NOT_A_TICKET) {
        continue;
      }
      long u = unsigned(seq);
      if (u < bestSeq || (u == bestSeq && c.compareTo(best) < 0)) {
        best = c;
        bestSeq = u;
      }
    }
    return best;
  }

  /**
   * The position of the ticket whose node is {@code key} (its sequence number {@code seq}), or -1. The name must
   * match too: after the election node was deleted and recreated, another ticket may hold the same number.
   */
  int indexOf(String key, long seq) {
    seq = unsigned(seq);
    int i = Arrays.binarySearch(seqs, seq);
    if (i < 0) {
      return -1;
    }
    while (i > 0 && seqs[i - 1] == seq) {
      i--;
    }
    for (; i < seqs.length && seqs[i] == seq; i++) {
      if (isNodeOf(key, names[i])) {
        return i;
      }
    }
    return -1;
  }

  /** The ticket names among {@code children}, in line order: by sequence number, never by the whole name. */
  static List<String> inLine(List<String> children) {
    return List.of(of(children).names);
  }
}
