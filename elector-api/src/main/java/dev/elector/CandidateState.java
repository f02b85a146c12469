package dev.elector;

/** Where a candidate is in its life. */
public enum CandidateState {
  /** Putting its ticket in line. */
  JOINING,
  /** In line, waiting for its turn. */
  WAITING,
  /** Leading: it holds a term. */
  LEADING,
  /** Its session lost contact; it keeps its place and waits for the session to recover or expire. */
  SUSPENDED,
  /** Its ticket is gone (session expired, ticket removed); it will rejoin at the back after a backoff. */
  REJOINING,
  /** Closed for good. */
  CLOSED
}
