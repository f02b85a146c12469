package dev.elector.internal;

import dev.elector.LeaderObserver;
import dev.elector.Participant;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One backend head watch per election per client, shared by all its observers. Removes repeats and never lets a
 * token go back (SPEC rules 5.1–5.3). Engine-thread confined except {@link Sub#cancelled}.
 */
final class Observation {
  private static final System.Logger LOG = System.getLogger("dev.elector");

  private final EngineClient client;
  private final String election;
  private final List<Sub> subs = new ArrayList<>();
  private HeadWatch watch;
  private int watchGen;
  /** The last head reported; null while unknown. */
  private Optional<Participant> last;
  private long lastToken = Long.MIN_VALUE;

  Observation(EngineClient client, String election) {
    this.client = client;
    this.election = election;
  }

  String election() {
    return election;
  }

  void add(Sub sub) {
    subs.add(sub);
    if (watch == null) {
      restart();
    } else if (last != null) {
      sub.deliver(last, client);
    }
  }

  void remove(Sub sub) {
    subs.remove(sub);
    if (subs.isEmpty()) {
      stop();
      client.dropObservation(this);
    }
  }

  /** (Re)sets the backend watch, for example on a new session after expiry. */
  void restart() {
    if (watch != null) {
      watch.cancel();
    }
    int g = ++watchGen;
    watch = null;
    try {
      watch = client.backend().watchHead(election, listener(g));
    } catch (RuntimeException e) {
      // Cut off or between sessions: try again shortly while anyone still observes.
      LOG.log(System.Logger.Level.DEBUG, "Head watch on {0} not set yet: {1}", election, e);
      client.schedule(() -> {
        if (g == watchGen && !subs.isEmpty()) {
          restart();
        }
      }, 100);
    }
  }

  private HeadListener listener(int g) {
    return new HeadListener() {
      @Override
      public void headChanged(Optional<Participant> head) {
        client.post(() -> {
          if (g == watchGen) {
            onHead(head);
          }
        }, () -> {});
      }

      @Override
      public void failed(Throwable cause) {
        client.post(() -> {
          if (g == watchGen) {
            // The engine sets a new watch when the next session opens (SessionEvents, on CONNECTED).
            LOG.log(System.Logger.Level.DEBUG, "Head watch on {0} ended: {1}", election, cause);
          }
        }, () -> {});
      }
    };
  }

  void stop() {
    watchGen++;
    if (watch != null) {
      watch.cancel();
      watch = null;
    }
  }

  private void onHead(Optional<Participant> head) {
    if (head.equals(last)) {
      return;
    }
    if (head.isPresent() && head.get().token() < lastToken) {
      return; // a stale view of an earlier head: never report a token going back
    }
    last = head;
    head.ifPresent(p -> lastToken = Math.max(lastToken, p.token()));
    for (Sub s : subs) {
      s.deliver(head, client);
    }
  }

  /** One observer. */
  static final class Sub {
    final SerialExecutor executor;
    final LeaderObserver observer;
    volatile boolean cancelled;

    Sub(SerialExecutor executor, LeaderObserver observer) {
      this.executor = executor;
      this.observer = observer;
    }

    /**
     * Queues the change on the observer's executor. Whether to run it is decided when it runs: not once the
     * observer is cancelled or its client's {@code close()} has begun (SPEC rule 4.2), however long it waited.
     */
    void deliver(Optional<Participant> head, EngineClient client) {
      executor.execute(() -> {
        if (!cancelled && !client.isClosed()) {
          observer.leaderChanged(head);
        }
      });
    }
  }
}
