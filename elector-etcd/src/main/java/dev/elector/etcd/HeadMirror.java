package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.Participant;
import dev.elector.spi.support.HeadPublisher;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.api.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * One election's line mirrored for its observers ({@code watchHead}): one read plus a watch on the election's
 * prefix, so every change of the head is seen (even a head that lasts a few milliseconds) and a handoff costs
 * observers no extra read. The watch starts first, from now (served as events commit, never by etcd's 100 ms
 * catch-up loop), and the read follows once it is in place: events the read already reflects are skipped by
 * revision. Only sessions with an observer of the election hold it; a mere candidate's line has none, so that
 * 10,000 elections on one session stay small.
 *
 * <p>Loop-confined, like the rest of the backend's state.
 */
final class HeadMirror {
  private static final System.Logger LOG = System.getLogger(HeadMirror.class.getName());
  /** Failed mirror reads in a row after which a warning is logged. */
  private static final int READ_FAILURES_REPORTED = 5;

  private final String election;
  /** "{root}/{election}/". */
  private final String prefix;
  private final WatchStream watches;
  private final BiFunction<String, String, CompletableFuture<LineReader.TicketsRead>> readTickets;
  private final Loop loop;
  private final List<HeadPublisher> heads = new ArrayList<>();
  private boolean stopped;

  private boolean known;
  /** Create revision to key-value, and key to create revision. */
  private TreeMap<Long, KeyValue> mirror;
  private Map<String, Long> byCreate;
  /** The watch on the election's prefix feeding {@link #mirror}. */
  private WatchStream.Handle watch;
  /** Identifies the current watch and read: answers for an earlier one are dropped. */
  private Object gen;
  /** The revision the mirror was read at: events up to it are in the read. */
  private long revision;
  /** Events that arrived while the mirror was being read; null when no read is in flight. */
  private List<Event> duringRead;
  private boolean reading;
  /** Failed reads in a row; they back off, and a streak is logged once. */
  private int readFailures;

  HeadMirror(String election, String prefix, WatchStream watches,
      BiFunction<String, String, CompletableFuture<LineReader.TicketsRead>> readTickets,
      Loop loop) {
    this.election = election;
    this.prefix = prefix;
    this.watches = watches;
    this.readTickets = readTickets;
    this.loop = loop;
  }

  void add(HeadPublisher sub) {
    heads.add(sub);
    if (known && !reading) {
      sub.publish(head());
    } else {
      start();
    }
  }

  /** Drops {@code sub}; true when no observer is left, and the mirror has stopped. */
  boolean remove(HeadPublisher sub) {
    heads.remove(sub);
    if (heads.isEmpty()) {
      stop();
      return true;
    }
    return false;
  }

  /** The session ended: every observer is told, and the mirror stops. */
  void fail(Throwable why) {
    stop();
    for (HeadPublisher sub : List.copyOf(heads)) {
      sub.fail(why);
    }
    heads.clear();
  }

  private void start() {
    if (reading || heads.isEmpty() || stopped) {
      return;
    }
    reading = true;
    known = false;
    watches.cancel(watch);
    Object g = new Object();
    gen = g;
    duringRead = new ArrayList<>();
    watch = watches.watchRange(prefix, TicketNames.rangeEndOf(prefix), 0,
        new WatchStream.Listener() {
          @Override
          public void started(long at) {
            read(g);
          }

          @Override
          public void events(List<Event> events) {
            onEvents(events);
          }

          @Override
          public void lost(String why) {
            LOG.log(System.Logger.Level.DEBUG, "watch on election '" + election + "' lost (" + why
                + "); reading its line again");
            reset();
            start();
          }
        });
  }

  /** Reads the line into the mirror, once the watch is in place; events it missed are buffered meanwhile. */
  private void read(Object g) {
    readTickets.apply(election, "reading the line of election '" + election + "'").whenComplete((r, e) -> {
      if (stopped || g != gen || heads.isEmpty()) {
        return;
      }
      if (e != null) {
        readFailures++;
        if (readFailures == READ_FAILURES_REPORTED) {
          // Observers of this election get no report until a read succeeds: say so, once per streak.
          LOG.log(System.Logger.Level.WARNING, "reading the line of election '" + election + "' failed "
              + readFailures + " times in a row; observers wait for it, retrying with backoff", e);
        }
        loop.schedule(() -> read(g), EtcdSession.backoff(readFailures), TimeUnit.MILLISECONDS);
        return;
      }
      readFailures = 0;
      mirror = new TreeMap<>();
      byCreate = new HashMap<>();
      for (KeyValue k : r.tickets()) {
        put(k);
      }
      revision = r.revision();
      known = true;
      reading = false;
      List<Event> later = duringRead;
      duringRead = null;
      apply(later);
      publish();
    });
  }

  /** Forgets the mirror and its watch; answers of reads made for them are dropped. */
  private void reset() {
    watches.cancel(watch);
    watch = null;
    gen = null;
    reading = false;
    known = false;
    duringRead = null;
    mirror = null;
    byCreate = null;
  }

  private void stop() {
    reset();
    stopped = true;
  }

  private void onEvents(List<Event> events) {
    if (stopped) {
      return;
    }
    if (duringRead != null) {
      duringRead.addAll(events);
      return;
    }
    if (!known) {
      return;
    }
    apply(events);
    publish();
  }

  /**
   * Applies events of the election's prefix to the mirror, unless its read already reflected them; keys that are
   * not tickets (SPEC 4.8) are skipped.
   */
  private void apply(List<Event> events) {
    for (Event ev : events) {
      if (ev.getKv().getModRevision() <= revision) {
        continue;
      }
      KeyValue k = new KeyValue(ev.getKv(), ByteSequence.EMPTY);
      String key = k.getKey().toString(UTF_8);
      if (TicketNames.ticketName(key, prefix) == null) {
        continue;
      }
      if (ev.getType() == Event.EventType.DELETE) {
        Long create = byCreate.remove(key);
        if (create != null) {
          mirror.remove(create);
        }
      } else {
        put(k);
      }
    }
  }

  private void put(KeyValue k) {
    byCreate.put(k.getKey().toString(UTF_8), k.getCreateRevision());
    mirror.put(k.getCreateRevision(), k);
  }

  private Optional<Participant> head() {
    Map.Entry<Long, KeyValue> first = mirror.firstEntry();
    if (first == null) {
      return Optional.empty();
    }
    KeyValue head = first.getValue();
    String key = head.getKey().toString(UTF_8);
    return Optional.of(LineReader.participant(election, key.substring(key.lastIndexOf('/') + 1), head));
  }

  /** Tells every observer the head; each publisher passes it on only if it differs from its last report. */
  private void publish() {
    if (!known) {
      return;
    }
    Optional<Participant> now = head();
    for (HeadPublisher sub : List.copyOf(heads)) {
      sub.publish(now);
    }
  }
}
