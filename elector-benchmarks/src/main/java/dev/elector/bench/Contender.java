package dev.elector.bench;

/**
 * One leader-election implementation under test (Elector on a backend, or a peer), reduced to what the scenarios
 * need: sessions, candidates in them, and a direct read of an election's line.
 */
interface Contender extends AutoCloseable {
  /** Shown in the table. */
  String name();

  /** True for Elector, false for peers. */
  boolean elector();

  /** Opens a session (a client) to the given {@code host:port}, which may be a fault proxy. */
  Session session(String endpoint) throws Exception;

  /** Opens a session to the server itself. */
  Session session() throws Exception;

  /** How many tickets the election's line holds now, read from the server with a raw client. */
  int lineSize(String election) throws Exception;

  /**
   * The contender as one handoff lane sees it: sessions whose traffic never reaches another lane's sessions. Peers
   * watch single keys, so they are their own view; Elector gives each lane a root of its own.
   */
  default Contender lane() {
    return this;
  }

  /** Whether {@link Member#leads()} reflects a validity check the application can use (false for jetcd). */
  default boolean hasValidity() {
    return true;
  }

  @Override
  void close();

  /** Receives elected callbacks; {@code nanos} is {@link System#nanoTime()} taken first thing in the callback. */
  @FunctionalInterface
  interface Elected {
    void elected(Member member, long nanos);
  }

  /** One client session. */
  interface Session extends AutoCloseable {
    /** Starts a candidate; returns at once (its ticket is created in the background). */
    Member join(String election, String id, Elected onElected) throws Exception;

    /** The server's session id (ZooKeeper) or lease id (etcd), for server-side counting. */
    long sessionId();

    /** Closes; after a partition this must not wait for the server. */
    @Override
    void close();
  }

  /** One candidate. */
  interface Member {
    String id();

    /** Leaves for good (the leader's ticket is removed so a successor is elected). Does not wait. */
    void close() throws Exception;

    /** Ends the term and goes to the back of the line. Does not wait for the successor. */
    void resign() throws Exception;

    /** Whether it holds a valid term now, by the implementation's own check. */
    boolean leads();

    /** Whether its ticket is in line (its join has completed). */
    boolean joined();
  }
}
