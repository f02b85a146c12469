package dev.elector.spi.support;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: the pause before retry {@code n} is uniform in [0, min(cap, base x 2^n)].
 * Full jitter spreads the retries of many clients that failed together (every candidate of a session that expired,
 * every session of a service that came back), where a fixed or half-jittered pause makes them retry in waves.
 *
 * @param baseMillis the ceiling of the first retry's pause; positive
 * @param capMillis the largest ceiling; at least {@code baseMillis}
 */
public record Backoff(long baseMillis, long capMillis) {
  /**
   * Checks the bounds.
   *
   * @throws IllegalArgumentException if {@code baseMillis} is not positive or {@code capMillis} is below it
   */
  public Backoff {
    if (baseMillis <= 0 || capMillis < baseMillis) {
      throw new IllegalArgumentException("backoff base " + baseMillis + " ms must be positive and cap " + capMillis
          + " ms at least the base");
    }
  }

  /**
   * The pause before a retry.
   *
   * @param attempt how many attempts failed before this retry, counting from 0
   * @return a pause in milliseconds, uniform in [0, min(cap, base x 2^attempt)]
   */
  public long pauseMillis(int attempt) {
    return ThreadLocalRandom.current().nextLong(ceilingMillis(attempt) + 1);
  }

  /**
   * The largest pause before a retry, without jitter.
   *
   * @param attempt how many attempts failed before this retry, counting from 0
   * @return min(cap, base x 2^attempt)
   */
  public long ceilingMillis(int attempt) {
    int shift = Math.max(0, Math.min(attempt, 30));
    long ceiling = baseMillis << shift;
    return ceiling <= 0 || ceiling > capMillis || (ceiling >> shift) != baseMillis ? capMillis : ceiling;
  }
}
