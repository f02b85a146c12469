package dev.elector;

/** Why a term ({@link Leadership}) ended. */
public enum EndReason {
  /** The candidate called {@link Candidate#resign()}. */
  RESIGNED,
  /** The candidate, or its client, was closed. */
  CLOSED,
  /** The client lost contact with the coordination service. */
  SESSION_SUSPENDED,
  /** The session expired on the server; the candidate's ticket is gone. */
  SESSION_EXPIRED,
  /** The session's deadline passed on the local monotonic clock before it could be renewed. */
  DEADLINE_PASSED,
  /** The candidate's ticket was removed by someone else (an operator, another process). */
  TICKET_LOST
}
