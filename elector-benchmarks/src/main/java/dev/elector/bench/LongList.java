package dev.elector.bench;

import java.util.Arrays;

/** A growable list of longs, safe for one writer and readers that synchronize on it. */
final class LongList {
  private long[] a = new long[64];
  private int n;

  synchronized void add(long v) {
    if (n == a.length) {
      a = Arrays.copyOf(a, n * 2);
    }
    a[n++] = v;
  }

  synchronized int size() {
    return n;
  }

  synchronized long[] toArray() {
    return Arrays.copyOf(a, n);
  }
}
