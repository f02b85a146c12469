package dev.elector.spi;

import dev.elector.Participant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * One session with a coordination service and the per-election lines of tickets inside it.
 *
 * <p>Every operation is asynchronous: it returns at once, never blocks the caller, and completes its stage on a
 * backend thread, exceptionally with an {@link dev.elector.ElectorException} subclass translated from the client
 * library's error in one place, keeping the cause. In particular: {@link dev.elector.SessionLostException} when the
 * session is suspended ({@code expired() == false}) or gone ({@code true}); {@link TicketLostException} when a
 * ticket is not in line; {@link dev.elector.BackendUnavailableException} for timeouts;
 * {@link dev.elector.AccessDeniedException} for refused credentials.
 *
 * <p>Names and data reaching a backend have been validated by the engine (SPEC rule 4.3).
 */
public interface ElectionBackend extends AutoCloseable {
  /** The current session's id (ZooKeeper session id, etcd lease id); 0 while there is none. */
  long sessionId();

  /**
   * The instant, on the {@link System#nanoTime()} clock, until which the current session is certainly alive on the
   * server: computed from when the last successful renewal or request was <em>sent</em>, plus the session timeout,
   * less a safety margin. Where the server judges expiry on its own clock (a lease row, a TTL), the margin must
   * cover the largest difference in clock <em>rate</em> between client and server the backend assumes; state that
   * assumption in the backend's documentation. Lies in the past while the session is suspended, expired or closed. Called on every
   * {@link dev.elector.Leadership#isValid()}: must be cheap and lock-free (a volatile read). Compare with
   * {@code deadline - System.nanoTime() > 0}, never with {@code >}.
   */
  long sessionDeadline();

  /**
   * Puts a new ticket at the back of the election's line, in the current session, holding the candidate id and
   * data. Safe against a connection loss during the call: it never leaves an orphan ticket behind and never
   * creates two tickets for one call (SPEC rule 1.5). If the answer is lost, the backend must find out whether
   * the ticket was created (for example by a client-chosen unique id it looks up) before completing: failing with
   * a {@link dev.elector.SessionLostException} that is not {@code expired} makes the engine enqueue again, which
   * would leave two tickets. The stage may stay pending while the session is suspended; the engine waits for it.
   */
  CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data);

  /**
   * Completes when the ticket is first in line and still held by the live session that created it. Watches only
   * the ticket's predecessor. Completes exceptionally with {@link TicketLostException} if the ticket is gone
   * (also when {@link #remove} is called for it) and with {@link dev.elector.SessionLostException} if its session
   * expired. While the session is merely suspended the wait stays pending. A second call for the same ticket
   * supersedes the first, whose stage may then never complete: backends must not keep both.
   */
  CompletionStage<Void> awaitHead(Ticket ticket);

  /** Removes the ticket. Succeeds if it is already gone. */
  CompletionStage<Void> remove(Ticket ticket);

  /** Replaces the ticket's data. Fails with {@link TicketLostException} if it is gone. */
  CompletionStage<Void> update(Ticket ticket, byte[] data);

  /** The election's line now, in order (the head first), each with its token. */
  CompletionStage<List<Participant>> line(String election);

  /**
   * Watches the head of the election's line, from watches, not polling: the listener is called first with the head
   * now, then at each change. The watch lives as long as the session; when the session expires the listener's
   * {@link HeadListener#failed} is called, and the engine sets a new watch on the new session.
   *
   * <p>The engine sets a watch again only on a new session, so a watch must outlive a suspension by itself and,
   * once recovered, report the head it may have missed meanwhile. While no session is open this may throw a
   * {@link dev.elector.SessionLostException}; the engine then tries again shortly.
   */
  HeadWatch watchHead(String election, HeadListener listener);

  /**
   * Ends the session: the server drops its tickets at once. Idempotent. Pending stages complete exceptionally with
   * {@link dev.elector.ClosedException}.
   */
  @Override
  void close();
}
