package dev.elector.internal;

import dev.elector.SessionListener;
import dev.elector.SessionState;
import dev.elector.Subscription;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells a client's session listeners of each change of its session state, once and in order (SPEC rule 3.6): a new
 * listener first hears the current state, CONNECTED is told again only for a new session, and CLOSED is told once,
 * last. Each listener runs on its own executor, one call at a time ({@link SerialExecutor}).
 *
 * <p>{@link #add} and {@link #announce} run on the engine thread; {@link #announceClosed} on the engine thread or,
 * once it is gone, on the closing thread: the flag makes CLOSED the last call either way.
 */
final class SessionAnnouncer {
  private final List<Sub> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closedAnnounced = new AtomicBoolean();
  // Engine thread.
  private SessionState announced = SessionState.CONNECTED;
  private long announcedSession;

  /** Engine thread: the session the client opened with, already CONNECTED. */
  void opened(long sessionId) {
    announcedSession = sessionId;
  }

  /** A subscription for {@code listener}; it hears nothing until {@link #add} runs on the engine thread. */
  Sub subscribe(Executor executor, SessionListener listener) {
    return new Sub(new SerialExecutor(executor), listener);
  }

  /** Engine thread: starts telling {@code sub}, first the current state of session {@code sessionId}. */
  void add(Sub sub, long sessionId) {
    listeners.add(sub);
    sub.deliver(announced, sessionId);
  }

  /** True once CLOSED was told: nothing is told after it. Any thread. */
  boolean closedAnnounced() {
    return closedAnnounced.get();
  }

  /** Engine thread: tells every listener {@code s} of session {@code id} unless it is no change. Not CLOSED. */
  void announce(SessionState s, long id) {
    if (closedAnnounced.get()) {
      return;
    }
    if (announced == s && (s != SessionState.CONNECTED || id == announcedSession)) {
      return;
    }
    announced = s;
    announcedSession = id;
    for (Sub sub : listeners) {
      sub.deliver(s, id);
    }
  }

  /** Tells every listener CLOSED, once. */
  void announceClosed(long sessionId) {
    if (closedAnnounced.compareAndSet(false, true)) {
      for (Sub sub : listeners) {
        sub.deliver(SessionState.CLOSED, sessionId);
      }
    }
  }

  /** One session listener on its executor; cancelling it stops calls not yet started. */
  final class Sub implements Subscription {
    private final SerialExecutor executor;
    private final SessionListener listener;
    private volatile boolean cancelled;

    private Sub(SerialExecutor executor, SessionListener listener) {
      this.executor = executor;
      this.listener = listener;
    }

    private void deliver(SessionState s, long id) {
      executor.execute(() -> {
        if (!cancelled) {
          listener.sessionStateChanged(s, id);
        }
      });
    }

    @Override
    public void cancel() {
      cancelled = true;
      listeners.remove(this);
    }
  }
}
