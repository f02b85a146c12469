package dev.elector.micrometer;

import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process knows of an election's terms, to tell a term's handoff: the time from its predecessor's end to
 * its own start. The predecessor is the term with the greatest token below the new one that this process saw lead
 * (through a bound candidate or an observer), or the same token when a candidate resumes its own place; the handoff
 * is known only if this process also saw that term end. Keeps the last {@value #KEEP} tokens per election.
 */
final class Handoffs {
  private static final int KEEP = 32;

  private static final class Known {
    final TreeSet<Long> led = new TreeSet<>();
    final TreeMap<Long, Long> endNanos = new TreeMap<>();
  }

  private final Map<String, Known> elections = new ConcurrentHashMap<>();

  private Known known(String election) {
    return elections.computeIfAbsent(election, e -> new Known());
  }

  void led(String election, long token) {
    Known k = known(election);
    synchronized (k) {
      k.led.add(token);
      while (k.led.size() > KEEP) {
        k.led.pollFirst();
      }
    }
  }

  void ended(String election, long token, long nanos) {
    Known k = known(election);
    synchronized (k) {
      k.led.add(token);
      k.endNanos.merge(token, nanos, (a, b) -> b - a < 0 ? b : a); // the first notice is the closest to the end
      while (k.endNanos.size() > KEEP) {
        k.endNanos.pollFirstEntry();
      }
    }
  }

  /** The handoff of the term {@code token} that started at {@code startedNanos}, in nanoseconds, if known. */
  OptionalLong handoff(String election, long token, long startedNanos) {
    Known k = known(election);
    synchronized (k) {
      Long own = k.endNanos.get(token);
      Long end = own != null && startedNanos - own >= 0 ? own : null;
      if (end == null) {
        Long predecessor = k.led.lower(token);
        end = predecessor == null ? null : k.endNanos.get(predecessor);
      }
      k.led.add(token);
      return end == null || startedNanos - end < 0 ? OptionalLong.empty() : OptionalLong.of(startedNanos - end);
    }
  }
}
