package dev.elector.tck;

import dev.elector.ClientConfig;
import dev.elector.Participant;
import dev.elector.mem.MemCluster;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.EngineLoop;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.Ticket;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link Broken.Variant#VALID_WHILE_LOOP_STALLS}: a backend on the engine's loop ({@link EngineLoop}) that keeps its
 * session as a real one does, by renewals its loop sends, but whose {@link #sessionDeadline()} believes a "connected"
 * flag that only the loop updates. While the loop runs, the flag follows the session within a beat, and no other
 * rule of the kit notices. When application code holds the loop, the server stops hearing from the session and
 * expires it, and the flag still says connected.
 */
final class LoopFlagBackend implements ElectionBackend {
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "loop-flag-backend-timer");
    t.setDaemon(true);
    return t;
  });

  private final ElectionBackend real;
  private final EngineLoop loop;
  private final MemCluster cluster;
  private final long timeoutNanos;
  private final ScheduledFuture<?> beats;
  /** When the loop last ran a beat: the last time this backend's renewals went out. */
  private volatile long lastBeat = System.nanoTime();
  /** The bug: the session's state as the loop last saw it, believed until the loop looks again. */
  private volatile boolean connected = true;
  /** The session the server stopped hearing from while the loop stalled; 0: none. Timer thread only. */
  private long silenced;

  LoopFlagBackend(ClientConfig config, ElectionBackend real, EngineLoop loop) {
    this.real = real;
    this.loop = loop;
    this.cluster = MemCluster.named(config.endpoints().get(0));
    this.timeoutNanos = config.sessionTimeout().toNanos();
    // Beats every 1/20 of the timeout, silent after 1/5 without one: the server hears nothing from a stalled loop
    // soon after it stalls, as from a real backend whose renewals went out on it.
    long beat = timeoutNanos / 20;
    this.beats = TIMER.scheduleAtFixedRate(this::beat, beat, beat, TimeUnit.NANOSECONDS);
  }

  /** Asks the loop to renew; a loop that has not renewed for a fifth of the timeout has gone silent to the server. */
  private void beat() {
    loop.execute(() -> {
      lastBeat = System.nanoTime();
      connected = real.sessionDeadline() - System.nanoTime() > 0;
    });
    boolean stalled = System.nanoTime() - lastBeat > timeoutNanos / 5;
    if (stalled && silenced == 0) {
      long id = real.sessionId();
      if (id != 0 && cluster.silence(id)) {
        silenced = id;
      }
    } else if (!stalled && silenced != 0) {
      cluster.heal(silenced);
      silenced = 0;
    }
  }

  @Override
  public long sessionDeadline() {
    return connected ? System.nanoTime() + timeoutNanos / 2 : real.sessionDeadline();
  }

  @Override
  public long sessionId() {
    return real.sessionId();
  }

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    return real.enqueue(election, candidateId, data);
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    return real.awaitHead(ticket);
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    return real.remove(ticket);
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    return real.update(ticket, data);
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    return real.line(election);
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener listener) {
    return real.watchHead(election, listener);
  }

  @Override
  public void close() {
    beats.cancel(false);
    real.close();
  }
}
