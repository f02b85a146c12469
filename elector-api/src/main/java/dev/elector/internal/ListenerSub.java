package dev.elector.internal;

import dev.elector.EndReason;
import dev.elector.LeadershipListener;

/**
 * One registered listener; {@code current} makes elected/revoked alternate for it (SPEC rule 3.1). Its lock guards
 * {@code current} together with queueing the callback, so a closing thread's {@code revoked} can never be queued
 * before the {@code elected} of its term, nor twice; no application code runs under it.
 */
final class ListenerSub {
  final SerialExecutor executor;
  final LeadershipListener listener;
  volatile boolean cancelled;
  /** The term whose elected is queued and whose revoked is not. Guarded by this. */
  private Term current;

  ListenerSub(SerialExecutor executor, LeadershipListener listener) {
    this.executor = executor;
    this.listener = listener;
  }

  /** Engine thread only. */
  void elected(Term t) {
    queueElected(t);
    executor.start();
  }

  /** Queues elected without running it; {@link SerialExecutor#start()} runs it. */
  void queueElected(Term t) {
    synchronized (this) {
      current = t;
      executor.enqueue(() -> {
        if (!cancelled) {
          listener.elected(t);
        }
      });
    }
  }

  /**
   * Any thread. Also starts the listener's queue if the engine queued elected but has not started it yet (it may
   * be held by another listener on a direct executor): revoked is then on its way when this returns.
   */
  void revoked(Term t, EndReason reason) {
    synchronized (this) {
      if (current != t) {
        return;
      }
      current = null;
      executor.enqueue(() -> {
        if (!cancelled) {
          listener.revoked(t, reason);
        }
      });
    }
    executor.start();
  }
}
