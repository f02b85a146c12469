package dev.elector;

/**
 * Receives a candidate's terms. For each term, {@link #elected} and then {@link #revoked} are called exactly once,
 * in that order, on the executor given at registration, never on a backend thread and never while Elector holds a
 * lock (SPEC rules 3.1–3.3).
 *
 * <p>Both calls report the past: by the time {@code elected} runs, the term may already have ended. Use
 * {@link Leadership#isValid()} before acting, never the fact that {@code elected} was called. Do not block in
 * either method: later callbacks for this listener wait behind it.
 */
public interface LeadershipListener {
  void elected(Leadership term);

  void revoked(Leadership term, EndReason reason);
}
