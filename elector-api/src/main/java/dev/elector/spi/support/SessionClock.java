package dev.elector.spi.support;

/**
 * The session deadline: the instant on the {@link System#nanoTime()} clock until which a session is certainly alive
 * on the server, as {@link dev.elector.spi.ElectionBackend#sessionDeadline()} reports it. Every backend computes it
 * here, with one margin rule.
 *
 * <p>The deadline counts from the <em>send</em> time of the last request the server answered as proof that the session
 * lived (a ZooKeeper {@code sync}, an etcd keep-alive, a PostgreSQL lease update): the server judged it alive no
 * earlier than that, and keeps it at least {@code timeout} longer on its own clock. Never from the answer's arrival:
 * a slow answer would then stretch the deadline past the server's expiry.
 *
 * <p>The margin is max(timeout / 10, 20 ms), at most half the timeout:
 * <ul>
 *   <li>timeout / 10 covers a server clock that runs faster than this host's monotonic clock: the deadline stays
 *       before the server's expiry while the server's clock runs at most 1/0.9 - 1 = 11 % faster (NTP slews by at
 *       most 0.05 %; a virtual machine's clock after a pause can run faster for a while);
 *   <li>20 ms covers the time between reading the clock and the request leaving (a loop that is late to send), which
 *       does not shrink with the timeout;
 *   <li>half the timeout caps it for timeouts under 40 ms, which only the in-memory backend accepts, so that a
 *       deadline still lies after the send.
 * </ul>
 */
public final class SessionClock {
  /** The floor of the margin: 20 ms. */
  public static final long MIN_MARGIN_NANOS = 20_000_000L;

  private SessionClock() {}

  /**
   * The safety margin taken off a session's deadline for {@code timeoutNanos}.
   *
   * @param timeoutNanos the session timeout the server granted, in nanoseconds; positive
   * @return max(timeout / 10, 20 ms), at most timeout / 2
   * @throws IllegalArgumentException if {@code timeoutNanos} is not positive
   */
  public static long marginNanos(long timeoutNanos) {
    if (timeoutNanos <= 0) {
      throw new IllegalArgumentException("timeoutNanos " + timeoutNanos + " must be positive");
    }
    return Math.min(timeoutNanos / 2, Math.max(timeoutNanos / 10, MIN_MARGIN_NANOS));
  }

  /**
   * The deadline a proof of liveness gives.
   *
   * @param sentNanos {@link System#nanoTime()} read just before the proving request was sent
   * @param timeoutNanos the session timeout the server granted, in nanoseconds; positive
   * @return {@code sentNanos + timeoutNanos - marginNanos(timeoutNanos)}
   */
  public static long deadline(long sentNanos, long timeoutNanos) {
    return sentNanos + timeoutNanos - marginNanos(timeoutNanos);
  }
}
