package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A decorator of the in-memory backend's SPI that breaks one rule the way a faulty backend would, below the engine
 * (the API-level variants live in {@link Broken}). Each variant is one small, plausible mistake:
 *
 * <ul>
 *   <li>{@link Broken.Variant#LATE_COMPLETIONS} (not broken: the harness for the fence) answers every {@code enqueue}
 *       and {@code awaitHead} late, and answers a wait superseded by the ticket's removal with a late "you are
 *       first"; an engine that fences abandoned calls is unaffected.
 *   <li>{@link Broken.Variant#STALE_FIRST_AS_CURRENT} answers waits late, and hands the late "first" of a superseded
 *       wait to the candidate's next wait: what an engine without the fence does with it (it starts a term).
 *   <li>{@link Broken.Variant#EXPIRY_UNNOTICED_WHILE_CONNECTED} notices an expired session only after a connection
 *       loss: expired while in contact, it keeps reporting the old session as alive.
 *   <li>{@link Broken.Variant#CREATE_RETRIED_WHEN_ANSWER_LOST} delivers {@code enqueue} answers late, as a slow
 *       network does, and when the connection is lost meanwhile creates the ticket again without looking for the
 *       first one.
 *   <li>{@link Broken.Variant#DEADLINE_FROM_ANSWER} counts its session deadline from when a renewal's answer arrived
 *       on a network that delivers answers 0.4 session timeouts late, instead of from when it was sent.
 *   <li>{@link Broken.Variant#LINE_MISORDERED_IN_SESSION} decides who is first from a shared line read that orders the
 *       tickets of its own session backwards.
 *   <li>{@link Broken.Variant#TOKENS_RESET_WITH_ELECTION} takes its tokens from a sequence kept in the election's
 *       container (as ZooKeeper's sequential suffix is), which starts again when the container is deleted. The mem
 *       service keeps no container: an election exists while its line is not empty, so deleting it and emptying it
 *       are one thing, and the sequence starts again whenever a create finds the line empty.
 * </ul>
 */
final class BrokenBackend implements ElectionBackend {
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "broken-backend-timer");
    t.setDaemon(true);
    return t;
  });
  /** How late LATE_COMPLETIONS and STALE_FIRST_AS_CURRENT answer: longer than an engine takes to act on a resign. */
  static final long LATE_MILLIS = 40;
  /** How late CREATE_RETRIED_WHEN_ANSWER_LOST answers a create: long enough for the kit to drop the connection. */
  static final long CREATE_ANSWER_MILLIS = 300;

  private final Broken.Variant v;
  private final BackendListener engine;
  private final long timeoutNanos;
  private final long answerDelayNanos;
  private volatile ElectionBackend real;

  private final Object lock = new Object();
  /** Pending waits by ticket key (LATE_COMPLETIONS, STALE_FIRST_AS_CURRENT). */
  private final Map<String, CompletableFuture<Void>> waits = new HashMap<>();
  /** Waits superseded by their ticket's removal: their late "first" is still to come. */
  private final Set<CompletableFuture<Void>> superseded = new HashSet<>();
  /** Candidates (election + id) owed a stale "first" from a superseded wait (STALE_FIRST_AS_CURRENT). */
  private final Set<String> owedFirst = new HashSet<>();

  /** EXPIRY_UNNOTICED_WHILE_CONNECTED: in contact since the last CONNECTED/RECOVERED; the session it clings to. */
  private volatile boolean inContact;
  private volatile long zombie;

  /** DEADLINE_FROM_ANSWER: the deadline it believes in (0: none, after a loss it was told of). */
  private volatile long believed;

  /** CREATE_RETRIED_WHEN_ANSWER_LOST: connection losses (suspensions and recoveries) so far. */
  private final AtomicLong losses = new AtomicLong();

  /** LINE_MISORDERED_IN_SESSION: own tickets by key, waits by ticket key, one head watch per election. */
  private final Map<String, Ticket> own = new HashMap<>();
  private final Map<String, Wait> lineWaits = new HashMap<>();
  private final Map<String, HeadWatch> headWatches = new HashMap<>();
  /** Creates in flight: the shared read is taken once a batch of joins has settled, so its order is stable. */
  private int creating;

  private record Wait(Ticket ticket, CompletableFuture<Void> future) {}

  /** TOKENS_RESET_WITH_ELECTION: the sequence of each election (cluster, election), and each real token's number. */
  private static final Map<String, AtomicLong> SEQUENCES = new java.util.concurrent.ConcurrentHashMap<>();
  private static final Map<String, Long> NUMBERS = new java.util.concurrent.ConcurrentHashMap<>();
  private final String cluster;

  BrokenBackend(Broken.Variant v, ClientConfig config, BackendListener engine) {
    this.v = v;
    this.engine = engine;
    this.timeoutNanos = config.sessionTimeout().toNanos();
    this.answerDelayNanos = timeoutNanos * 2 / 5;
    this.cluster = config.endpoints().get(0);
  }

  /** The number TOKENS_RESET_WITH_ELECTION gave the ticket of this real token (the real one if none). */
  private long numbered(long realToken) {
    return NUMBERS.getOrDefault(cluster + "\u0000" + realToken, realToken);
  }

  private List<Participant> numbered(List<Participant> line) {
    return line.stream().map(this::numbered).toList();
  }

  private Participant numbered(Participant p) {
    return new Participant(p.election(), p.candidateId(), numbered(p.token()), p.data());
  }

  void open(ElectionBackend backend) {
    real = backend;
  }

  /** The listener the real backend reports to; may be called before {@link #open}. */
  BackendListener events() {
    return new BackendListener() {
      @Override
      public void sessionEvent(SessionEvent event) {
        onSessionEvent(event);
      }

      @Override
      public void ticketLost(Ticket ticket) {
        engine.ticketLost(ticket);
      }
    };
  }

  private void onSessionEvent(SessionEvent event) {
    SessionEvent.Kind k = event.kind();
    if (v == Broken.Variant.EXPIRY_UNNOTICED_WHILE_CONNECTED && k != SessionEvent.Kind.CLOSED) {
      if (zombie != 0) {
        return; // believes the old session alive: hears of no other
      }
      if (k == SessionEvent.Kind.EXPIRED && inContact) {
        zombie = event.sessionId(); // the bug: only a reconnect would have made it look
        return;
      }
      inContact = k == SessionEvent.Kind.CONNECTED || k == SessionEvent.Kind.RECOVERED;
    }
    if (k == SessionEvent.Kind.SUSPENDED || k == SessionEvent.Kind.RECOVERED) {
      losses.incrementAndGet();
    }
    if (k == SessionEvent.Kind.SUSPENDED || k == SessionEvent.Kind.EXPIRED || k == SessionEvent.Kind.CLOSED) {
      believed = 0; // told of the loss: even this backend believes it
    }
    if (v == Broken.Variant.LINE_MISORDERED_IN_SESSION && k == SessionEvent.Kind.EXPIRED) {
      failLineWaits(new SessionLostException("session " + Long.toHexString(event.sessionId()) + " expired", true));
    }
    engine.sessionEvent(event);
  }

  @Override
  public long sessionId() {
    long z = zombie;
    return z != 0 ? z : real.sessionId();
  }

  @Override
  public long sessionDeadline() {
    long now = System.nanoTime();
    if (v == Broken.Variant.EXPIRY_UNNOTICED_WHILE_CONNECTED && (zombie != 0 || inContact)) {
      // In contact, it takes its session as renewed all along: it never asks whether the service still holds it.
      return now + timeoutNanos / 2;
    }
    long d = real.sessionDeadline();
    if (v == Broken.Variant.DEADLINE_FROM_ANSWER) {
      // Counted from the last answer's arrival, which came this much after the renewal was sent; it knows nothing
      // of the server's clock (the mem client's own deadline also turns past when the server expires it).
      long b = believed;
      if (d - now > 0 && (b == 0 || d + answerDelayNanos - b > 0)) {
        believed = b = d + answerDelayNanos;
      }
      return b != 0 ? b : d;
    }
    return d;
  }

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    return switch (v) {
      case LATE_COMPLETIONS -> late(real.enqueue(election, candidateId, data), LATE_MILLIS);
      case CREATE_RETRIED_WHEN_ANSWER_LOST -> enqueueRetryingBlindly(election, candidateId, data);
      case LINE_MISORDERED_IN_SESSION -> {
        synchronized (lock) {
          creating++;
        }
        yield real.enqueue(election, candidateId, data).whenComplete((t, err) -> {
          synchronized (lock) {
            creating--;
            if (t != null) {
              own.put(t.key(), t);
            }
          }
          evaluate(election);
        });
      }
      case TOKENS_RESET_WITH_ELECTION -> real.line(election).thenCompose(line -> {
        if (line.isEmpty()) {
          SEQUENCES.remove(cluster + "\u0000" + election); // a new container, a new sequence
        }
        return real.enqueue(election, candidateId, data);
      }).thenApply(t -> {
        long n = SEQUENCES.computeIfAbsent(cluster + "\u0000" + election, k -> new AtomicLong()).incrementAndGet();
        NUMBERS.put(cluster + "\u0000" + t.token(), n);
        return new Ticket(t.election(), t.candidateId(), t.key(), n, t.sessionId());
      });
      default -> real.enqueue(election, candidateId, data);
    };
  }

  private CompletionStage<Ticket> enqueueRetryingBlindly(String election, String candidateId, byte[] data) {
    long before = losses.get();
    CompletableFuture<Ticket> f = new CompletableFuture<>();
    real.enqueue(election, candidateId, data).whenComplete((t, err) -> TIMER.schedule(() -> {
      if (err != null) {
        f.completeExceptionally(err);
      } else if (losses.get() != before) {
        // The connection was lost before the answer came: create again, leaving the first ticket behind.
        real.enqueue(election, candidateId, data).whenComplete((t2, err2) -> complete(f, t2, err2));
      } else {
        f.complete(t);
      }
    }, CREATE_ANSWER_MILLIS, TimeUnit.MILLISECONDS));
    return f;
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    return switch (v) {
      case LATE_COMPLETIONS, STALE_FIRST_AS_CURRENT -> awaitHeadLate(ticket);
      case LINE_MISORDERED_IN_SESSION -> awaitHeadMisordered(ticket);
      default -> real.awaitHead(ticket);
    };
  }

  private CompletionStage<Void> awaitHeadLate(Ticket ticket) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (lock) {
      if (v == Broken.Variant.STALE_FIRST_AS_CURRENT && owedFirst.remove(candidateKey(ticket))) {
        TIMER.execute(() -> f.complete(null)); // the superseded wait's "first", taken for this one's
        return f;
      }
      waits.put(ticket.key(), f);
    }
    real.awaitHead(ticket).whenComplete((x, err) -> {
      synchronized (lock) {
        if (superseded.contains(f)) {
          return; // its late "first" is on its way instead
        }
      }
      if (err != null) {
        synchronized (lock) {
          waits.remove(ticket.key(), f);
        }
        f.completeExceptionally(err);
        return;
      }
      TIMER.schedule(() -> {
        synchronized (lock) {
          waits.remove(ticket.key(), f);
        }
        f.complete(null);
      }, LATE_MILLIS, TimeUnit.MILLISECONDS);
    });
    return f;
  }

  private CompletionStage<Void> awaitHeadMisordered(Ticket ticket) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    boolean watch;
    synchronized (lock) {
      lineWaits.put(ticket.key(), new Wait(ticket, f));
      watch = !headWatches.containsKey(ticket.election());
      if (watch) {
        headWatches.put(ticket.election(), () -> {});
      }
    }
    if (watch) {
      String election = ticket.election();
      HeadWatch w = real.watchHead(election, new HeadListener() {
        @Override
        public void headChanged(Optional<Participant> head) {
          evaluate(election);
        }

        @Override
        public void failed(Throwable cause) {
          synchronized (lock) {
            headWatches.remove(election);
          }
        }
      });
      synchronized (lock) {
        headWatches.put(election, w);
      }
    }
    evaluate(ticket.election());
    return f;
  }

  /** Reads the line once for every wait of the election, and completes the one its (wrong) order puts first. */
  private void evaluate(String election) {
    real.line(election).whenComplete((line, err) -> {
      if (err != null) {
        return; // the session's events fail the waits if it is gone
      }
      List<CompletableFuture<Void>> first = new ArrayList<>();
      synchronized (lock) {
        if (creating > 0) {
          return; // read again when the last create of the batch is answered
        }
        Set<Long> mine = new HashSet<>();
        own.values().stream().filter(t -> t.election().equals(election)).forEach(t -> mine.add(t.token()));
        List<Long> order = new ArrayList<>();
        line.forEach(p -> order.add(p.token()));
        // The bug: the tickets of this session are put in its places in the line backwards.
        List<Long> ours = new ArrayList<>(order.stream().filter(mine::contains).toList());
        java.util.Collections.reverse(ours);
        int next = 0;
        for (int i = 0; i < order.size(); i++) {
          if (mine.contains(order.get(i))) {
            order.set(i, ours.get(next++));
          }
        }
        if (order.isEmpty()) {
          return;
        }
        long head = order.get(0);
        lineWaits.values().removeIf(w -> {
          if (w.ticket().election().equals(election) && w.ticket().token() == head) {
            first.add(w.future());
            return true;
          }
          return false;
        });
      }
      first.forEach(f -> f.complete(null));
    });
  }

  private void failLineWaits(Throwable cause) {
    List<Wait> failed;
    synchronized (lock) {
      failed = new ArrayList<>(lineWaits.values());
      lineWaits.clear();
      own.clear();
    }
    failed.forEach(w -> w.future().completeExceptionally(cause));
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    CompletableFuture<Void> pending;
    Wait lineWait;
    synchronized (lock) {
      pending = waits.remove(ticket.key());
      if (pending != null && !pending.isDone()) {
        superseded.add(pending);
        if (v == Broken.Variant.STALE_FIRST_AS_CURRENT) {
          owedFirst.add(candidateKey(ticket));
        }
      }
      own.remove(ticket.key());
      lineWait = lineWaits.remove(ticket.key());
    }
    if (lineWait != null) {
      lineWait.future().completeExceptionally(new TicketLostException("ticket " + ticket.key() + " was removed"));
    }
    return real.remove(ticket).whenComplete((x, err) -> {
      if (pending != null && v == Broken.Variant.LATE_COMPLETIONS) {
        // A stale "you are first" for the removed ticket, arriving after the removal.
        TIMER.schedule(() -> pending.complete(null), LATE_MILLIS, TimeUnit.MILLISECONDS);
      }
      if (v == Broken.Variant.LINE_MISORDERED_IN_SESSION) {
        evaluate(ticket.election());
      }
    });
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    return real.update(ticket, data);
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    if (v == Broken.Variant.TOKENS_RESET_WITH_ELECTION) {
      return real.line(election).thenApply(this::numbered);
    }
    return real.line(election);
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener listener) {
    if (v == Broken.Variant.TOKENS_RESET_WITH_ELECTION) {
      return real.watchHead(election, new HeadListener() {
        @Override
        public void headChanged(Optional<Participant> head) {
          listener.headChanged(head.map(BrokenBackend.this::numbered));
        }

        @Override
        public void failed(Throwable cause) {
          listener.failed(cause);
        }
      });
    }
    return real.watchHead(election, listener);
  }

  @Override
  public void close() {
    if (v == Broken.Variant.LINE_MISORDERED_IN_SESSION) {
      failLineWaits(new ClosedException("broken mem backend closed"));
    }
    real.close();
  }

  private static String candidateKey(Ticket t) {
    return t.election() + "\u0000" + t.candidateId();
  }

  private static <T> CompletionStage<T> late(CompletionStage<T> stage, long millis) {
    CompletableFuture<T> f = new CompletableFuture<>();
    stage.whenComplete((t, err) -> TIMER.schedule(() -> complete(f, t, err), millis, TimeUnit.MILLISECONDS));
    return f;
  }

  private static <T> void complete(CompletableFuture<T> f, T value, Throwable err) {
    if (err != null) {
      f.completeExceptionally(err);
    } else {
      f.complete(value);
    }
  }
}
