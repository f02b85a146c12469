package dev.elector.mem;

import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.SessionEvent;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simulated coordination service shared by every {@code mem://<name>/…} client of this JVM, with controls for
 * tests. It behaves like ZooKeeper: a session's tickets die with it; the server expires a session it has not heard
 * from for the session timeout; a follower waits on its predecessor only; a client cut off learns nothing until it
 * is healed, then first hears whether its session survived.
 *
 * <p>Controls take the id of a client's session ({@code ElectionClient.sessionId()}):
 * <ul>
 *   <li>{@link #expire} — the server expires the session now (the client learns at once, or when healed);
 *   <li>{@link #partition} — the client is cut off and knows it: its session is suspended at once; the server
 *       expires the session after the timeout unless {@link #heal healed} first;
 *   <li>{@link #silence} — the client is cut off and does not notice: its deadline runs out on its own clock,
 *       and the server expires the session after the timeout (a paused or partitioned process);
 *   <li>{@link #heal} — restores contact.
 * </ul>
 * and {@link #stall} holds back everything the network delivers to any client.
 */
public final class MemCluster {
  private static final ConcurrentMap<String, MemCluster> CLUSTERS = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "elector-mem-timer");
    t.setDaemon(true);
    return t;
  });
  private static final long FIRST_SESSION_ID = 0x1000;
  private static final AtomicLong SESSION_IDS = new AtomicLong(FIRST_SESSION_ID);
  /** The form of a ticket's name under its election: {@code <hex session id>-<decimal token>} (see {@link #enqueue}). */
  private static final java.util.regex.Pattern TICKET_NAME = java.util.regex.Pattern.compile("[0-9a-f]+-[0-9]+");

  private final String name;
  /** One "network" thread: every completion and event a client sees is delivered here, in order. */
  private final ExecutorService network;
  private final Object lock = new Object();
  private long revision;
  private final Map<Long, Session> sessions = new HashMap<>();
  /** Clients cut off from the server, by session id, kept even after the server expired the session. */
  private final Map<Long, MemBackend> cutOffClients = new HashMap<>();
  private final Map<String, TreeMap<Long, Entry>> lines = new HashMap<>();
  private final Map<String, Entry> byKey = new HashMap<>();
  /**
   * Entries Elector did not write, by election path and name. Never in {@link #lines}: they take no place in line and
   * are never listed (SPEC rule 4.8).
   */
  private final Map<String, Map<String, byte[]>> foreign = new HashMap<>();
  /** Waiters by the key of the predecessor they watch. */
  private final Map<String, List<Waiter>> waitersByPredecessor = new HashMap<>();
  private final Map<String, List<Watcher>> watchersByPath = new HashMap<>();
  private final AtomicLong wakeups = new AtomicLong();

  private MemCluster(String name) {
    this.name = name;
    this.network = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "elector-mem-" + name);
      t.setDaemon(true);
      return t;
    });
  }

  /** The cluster of this name, created on first use. */
  public static MemCluster named(String name) {
    return CLUSTERS.computeIfAbsent(name, MemCluster::new);
  }

  public String name() {
    return name;
  }

  /** Ids of the sessions the server holds now. */
  public List<Long> sessions() {
    synchronized (lock) {
      return List.copyOf(sessions.keySet());
    }
  }

  /** How many waiters were woken by a predecessor's deletion so far (one per handoff when only the next waits). */
  public long wakeups() {
    return wakeups.get();
  }

  /** How many tickets are in line in all elections. */
  public int tickets() {
    synchronized (lock) {
      return byKey.size();
    }
  }

  /**
   * The server expires the session now. A session that has already ended (expired on the server's own timer, or
   * closed) stays ended: the call does nothing and returns {@code false}, so a test racing the server's timer never
   * fails on a correct backend.
   *
   * @return whether this call expired the session
   * @throws IllegalArgumentException if no mem cluster of this JVM ever issued the id
   */
  public boolean expire(long sessionId) {
    if (sessionId <= FIRST_SESSION_ID || sessionId > SESSION_IDS.get()) {
      throw new IllegalArgumentException("no session " + Long.toHexString(sessionId) + " was ever opened in mem cluster "
          + name);
    }
    synchronized (lock) {
      Session s = sessions.get(sessionId);
      if (s == null || s.expired) {
        return false;
      }
      expireLocked(s);
      return true;
    }
  }

  /**
   * Cuts the client off; it notices at once (suspended). The server expires it after the timeout.
   *
   * @return whether the session is cut off now; {@code false} if the server holds no such session (expired or
   *     closed: a client healed after its session expired opens a new one a moment later, and cutting the old
   *     one off again does nothing)
   */
  public boolean partition(long sessionId) {
    return cutOff(sessionId, true);
  }

  /**
   * Cuts the client off without it noticing: its own deadline must end its terms.
   *
   * @return as for {@link #partition}
   */
  public boolean silence(long sessionId) {
    return cutOff(sessionId, false);
  }

  private boolean cutOff(long sessionId, boolean notice) {
    Session s;
    synchronized (lock) {
      s = sessions.get(sessionId);
      if (s == null) {
        return false;
      }
      if (s.cutOff) {
        return true;
      }
      s.cutOff = true;
      cutOffClients.put(sessionId, s.client);
      s.expiry = TIMERS.schedule(() -> {
        synchronized (lock) {
          if (s.cutOff && !s.expired) {
            expireLocked(s);
          }
        }
      }, s.client.timeoutNanos, TimeUnit.NANOSECONDS);
      // Under the lock, so cuts and heals of one client are ordered as the server saw them.
      s.client.cutOff(notice);
    }
    return true;
  }

  /** Restores contact; the client then learns whether its session survived. */
  public void heal(long sessionId) {
    synchronized (lock) {
      // The session may be gone already (expired while cut off): the client must still be reconnected, to learn so.
      MemBackend client = cutOffClients.remove(sessionId);
      Session s = sessions.get(sessionId);
      if (s != null) {
        if (s.expiry != null) {
          s.expiry.cancel(false);
          s.expiry = null;
        }
        s.cutOff = false;
      }
      if (client != null) {
        client.heal();
      }
    }
  }

  /**
   * Stalls the network: nothing more reaches any client of this cluster (completions, events, the news of a heal)
   * until the returned handle is closed, or after 30 seconds at the latest. The server itself keeps working.
   */
  public AutoCloseable stall() {
    CountDownLatch release = new CountDownLatch(1);
    network.execute(() -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return release::countDown;
  }

  /** Deletes the candidate's tickets in the named election (under any root), as an operator would. */
  public int deleteTickets(String election, String candidateId) {
    List<Entry> victims = new ArrayList<>();
    synchronized (lock) {
      for (Entry e : byKey.values()) {
        if (e.election.equals(election) && e.candidateId.equals(candidateId)) {
          victims.add(e);
        }
      }
      for (Entry e : victims) {
        removeLocked(e, true);
      }
    }
    return victims.size();
  }

  /**
   * Writes an entry that Elector did not write under the election at {@code path} (the client's root, a slash and
   * the election's name), as an operator or another tool would. SPEC rule 4.8: it is not a participant; it never
   * blocks the line and is never listed or reported. Kept only so that {@link #deleteElection} removes it too.
   *
   * @throws IllegalArgumentException if {@code name} has the form of this backend's ticket names
   *     ({@code <hex session id>-<token>}): such an entry would be a ticket, which this service never holds
   *     without a session
   */
  public void putForeignEntry(String path, String name, byte[] value) {
    if (TICKET_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("'" + name + "' is a ticket name of the mem backend, not a foreign entry");
    }
    synchronized (lock) {
      foreign.computeIfAbsent(path, p -> new HashMap<>()).put(name, value.clone());
    }
  }

  /** How many foreign entries are held under the election at {@code path} (for tests). */
  public int foreignEntries(String path) {
    synchronized (lock) {
      return foreign.getOrDefault(path, Map.of()).size();
    }
  }

  /**
   * Deletes the election at {@code path} with everything in it, as an operator would: its tickets (their owners
   * learn their tickets are lost), its foreign entries, and every line nested below it (an application whose root
   * lies inside this election). Tokens keep increasing across it: they come from one counter of the whole cluster.
   *
   * @return how many tickets were deleted
   */
  public int deleteElection(String path) {
    List<Entry> victims = new ArrayList<>();
    synchronized (lock) {
      for (Entry e : byKey.values()) {
        if (e.path.equals(path) || e.path.startsWith(path + "/")) {
          victims.add(e);
        }
      }
      for (Entry e : victims) {
        removeLocked(e, true);
      }
      foreign.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
    }
    return victims.size();
  }

  // ---------------------------------------------------------------- server operations (called by MemBackend)

  MemBackend connect(ClientConfig config, BackendListener listener) {
    MemBackend b = new MemBackend(this, config, listener);
    b.open(openSession(b));
    return b;
  }

  long openSession(MemBackend client) {
    synchronized (lock) {
      Session s = new Session(SESSION_IDS.incrementAndGet(), client);
      sessions.put(s.id, s);
      return s.id;
    }
  }

  void deliver(Runnable r) {
    network.execute(r);
  }

  Ticket enqueue(long sessionId, String path, String election, String candidateId, byte[] data) {
    synchronized (lock) {
      liveSession(sessionId);
      long token = ++revision;
      String key = path + "/" + Long.toHexString(sessionId) + "-" + token;
      Entry e = new Entry(path, election, candidateId, key, token, sessionId, data);
      Optional<Participant> before = headLocked(path);
      lines.computeIfAbsent(path, p -> new TreeMap<>()).put(token, e);
      byKey.put(key, e);
      headChangedLocked(path, before);
      return new Ticket(election, candidateId, key, token, sessionId);
    }
  }

  void awaitHead(Ticket t, CompletableFuture<Void> f) {
    synchronized (lock) {
      Session s = liveSession(t.sessionId());
      Entry own = byKey.get(t.key());
      if (own == null || own.sessionId != t.sessionId()) {
        throw new TicketLostException("ticket " + t.key() + " is not in line");
      }
      Waiter old = s.waiters.remove(t.key());
      if (old != null) {
        unregisterLocked(old); // a second wait supersedes the first
      }
      evaluateLocked(new Waiter(own, f, s));
    }
  }

  private void evaluateLocked(Waiter w) {
    TreeMap<Long, Entry> line = lines.get(w.own.path);
    Map.Entry<Long, Entry> pred = line.lowerEntry(w.own.token);
    if (pred == null) {
      w.session.client.complete(w.future, null);
      return;
    }
    w.predecessorKey = pred.getValue().key;
    w.predecessorWasFirst = line.firstKey().equals(pred.getKey());
    waitersByPredecessor.computeIfAbsent(w.predecessorKey, k -> new ArrayList<>()).add(w);
    w.session.waiters.put(w.own.key, w);
  }

  private void unregisterLocked(Waiter w) {
    List<Waiter> ws = waitersByPredecessor.get(w.predecessorKey);
    if (ws != null) {
      ws.remove(w);
      if (ws.isEmpty()) {
        waitersByPredecessor.remove(w.predecessorKey);
      }
    }
  }

  void remove(long sessionId, Ticket t) {
    synchronized (lock) {
      liveSession(sessionId);
      Entry e = byKey.get(t.key());
      if (e != null) {
        removeLocked(e, false);
      }
    }
  }

  void update(long sessionId, Ticket t, byte[] data) {
    synchronized (lock) {
      liveSession(sessionId);
      Entry e = byKey.get(t.key());
      if (e == null) {
        throw new TicketLostException("ticket " + t.key() + " is not in line");
      }
      Optional<Participant> before = headLocked(e.path);
      e.data = data.clone();
      headChangedLocked(e.path, before);
    }
  }

  List<Participant> line(long sessionId, String path) {
    synchronized (lock) {
      liveSession(sessionId);
      List<Participant> out = new ArrayList<>();
      TreeMap<Long, Entry> line = lines.get(path);
      if (line != null) {
        line.values().forEach(e -> out.add(e.participant()));
      }
      return out;
    }
  }

  HeadWatch watchHead(long sessionId, String path, HeadListener listener) {
    synchronized (lock) {
      Session s = liveSession(sessionId);
      Watcher w = new Watcher(path, listener, s);
      watchersByPath.computeIfAbsent(path, p -> new ArrayList<>()).add(w);
      s.watchers.add(w);
      Optional<Participant> head = headLocked(path);
      s.client.send(() -> w.fire(head));
      return () -> {
        w.cancelled = true;
        synchronized (lock) {
          List<Watcher> ws = watchersByPath.get(path);
          if (ws != null) {
            ws.remove(w);
          }
          s.watchers.remove(w);
        }
      };
    }
  }

  /** The client closed its session: the server drops its tickets at once. */
  void close(long sessionId) {
    synchronized (lock) {
      Session s = sessions.get(sessionId);
      if (s != null && !s.expired) {
        expireLocked(s);
      }
    }
  }

  private Session liveSession(long sessionId) {
    Session s = sessions.get(sessionId);
    if (s == null || s.expired) {
      throw new SessionLostException("mem session " + Long.toHexString(sessionId) + " expired", true);
    }
    if (s.cutOff) {
      throw new SessionLostException("mem session " + Long.toHexString(sessionId) + " is cut off", false);
    }
    return s;
  }

  private void expireLocked(Session s) {
    s.expired = true;
    sessions.remove(s.id);
    if (s.expiry != null) {
      s.expiry.cancel(false);
    }
    for (Waiter w : s.waiters.values()) {
      unregisterLocked(w);
    }
    s.waiters.clear();
    for (Watcher w : s.watchers) {
      List<Watcher> ws = watchersByPath.get(w.path);
      if (ws != null) {
        ws.remove(w);
      }
    }
    List<Entry> owned = new ArrayList<>();
    for (Entry e : byKey.values()) {
      if (e.sessionId == s.id) {
        owned.add(e);
      }
    }
    owned.forEach(e -> removeLocked(e, false));
    List<Watcher> watchers = List.copyOf(s.watchers);
    s.watchers.clear();
    s.client.sessionExpired(s.id, watchers);
  }

  private void removeLocked(Entry e, boolean external) {
    Optional<Participant> before = headLocked(e.path);
    TreeMap<Long, Entry> line = lines.get(e.path);
    boolean wasHead = line.firstKey() == e.token;
    line.remove(e.token);
    if (line.isEmpty()) {
      lines.remove(e.path);
    }
    byKey.remove(e.key);
    Session owner = sessions.get(e.sessionId);
    if (owner != null) {
      Waiter own = owner.waiters.remove(e.key);
      if (own != null) {
        unregisterLocked(own);
        owner.client.fail(own.future, new TicketLostException("ticket " + e.key + " was removed"));
      }
      if (external) {
        Ticket lost = new Ticket(e.election, e.candidateId, e.key, e.token, e.sessionId);
        if (wasHead) {
          // The next in line is woken below, on this deletion: the owner's term must be over before that.
          owner.client.headTicketDeleted(lost);
        } else {
          owner.client.ticketLost(lost);
        }
      }
    }
    List<Waiter> woken = waitersByPredecessor.remove(e.key);
    if (woken != null) {
      for (Waiter w : woken) {
        w.session.waiters.remove(w.own.key);
        wakeups.incrementAndGet();
        if (!byKey.containsKey(w.own.key)) {
          continue;
        }
        if (w.predecessorWasFirst) {
          // Nothing smaller can appear later: the waiter is first now, without another look (fast handoff).
          w.session.client.complete(w.future, null);
        } else {
          evaluateLocked(w);
        }
      }
    }
    headChangedLocked(e.path, before);
  }

  private Optional<Participant> headLocked(String path) {
    TreeMap<Long, Entry> line = lines.get(path);
    return line == null || line.isEmpty() ? Optional.empty() : Optional.of(line.firstEntry().getValue().participant());
  }

  private void headChangedLocked(String path, Optional<Participant> before) {
    Optional<Participant> now = headLocked(path);
    if (now.equals(before)) {
      return;
    }
    for (Watcher w : watchersByPath.getOrDefault(path, List.of())) {
      w.session.client.send(() -> w.fire(now));
    }
  }

  private static final class Entry {
    final String path;
    final String election;
    final String candidateId;
    final String key;
    final long token;
    final long sessionId;
    byte[] data;

    Entry(String path, String election, String candidateId, String key, long token, long sessionId, byte[] data) {
      this.path = path;
      this.election = election;
      this.candidateId = candidateId;
      this.key = key;
      this.token = token;
      this.sessionId = sessionId;
      this.data = data.clone();
    }

    Participant participant() {
      return new Participant(election, candidateId, token, data);
    }
  }

  private static final class Session {
    final long id;
    final MemBackend client;
    final Map<String, Waiter> waiters = new HashMap<>();
    final List<Watcher> watchers = new ArrayList<>();
    boolean cutOff;
    boolean expired;
    ScheduledFuture<?> expiry;

    Session(long id, MemBackend client) {
      this.id = id;
      this.client = client;
    }
  }

  private static final class Waiter {
    final Entry own;
    final CompletableFuture<Void> future;
    final Session session;
    String predecessorKey;
    boolean predecessorWasFirst;

    Waiter(Entry own, CompletableFuture<Void> future, Session session) {
      this.own = own;
      this.future = future;
      this.session = session;
    }
  }

  static final class Watcher {
    final String path;
    final HeadListener listener;
    final Session session;
    volatile boolean cancelled;

    Watcher(String path, HeadListener listener, Session session) {
      this.path = path;
      this.listener = listener;
      this.session = session;
    }

    void fire(Optional<Participant> head) {
      if (!cancelled) {
        listener.headChanged(head);
      }
    }

    void fail(Throwable cause) {
      if (!cancelled) {
        listener.failed(cause);
      }
    }
  }

  static ClosedException closed() {
    return new ClosedException("mem backend closed");
  }
}
