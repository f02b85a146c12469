package dev.elector.postgres;

import dev.elector.ElectorException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.support.HeadPublisher;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Head watches (observers' view of a line). A line watched by this client has one row in {@code <schema>.watches}
 * for the session; the schema's triggers then notify this client's channel with {@code line:<line>} on every change
 * of the line, and each notice reads the head again. Watches outlive a suspension (the engine sets them again only
 * on a new session); after a recovery the backend's resync reads every watched head again. Each watch reports
 * through its {@link HeadPublisher}, which drops repeated heads, calls nothing after cancel and fails once.
 */
final class PgHeadWatches {
  private final PgOps ops;
  private final PgSchema schema;
  private final PgLocation location;
  private final PgSessionKeeper keeper;
  /** Watches by line name. */
  private final Map<String, Set<Watch>> watches = new ConcurrentHashMap<>();
  /** Lines whose watch row is in place for the current session (operations thread). */
  private final Set<String> rows = ConcurrentHashMap.newKeySet();

  PgHeadWatches(PgOps ops, PgSchema schema, PgLocation location, PgSessionKeeper keeper) {
    this.ops = ops;
    this.schema = schema;
    this.location = location;
    this.keeper = keeper;
  }

  HeadWatch watch(String election, HeadListener listener) {
    if (ops.closed()) {
      throw ops.closedException();
    }
    if (keeper.sessionId() == 0) {
      throw new SessionLostException("no PostgreSQL session is open yet", false);
    }
    String line = location.line(election);
    Watch w = new Watch(election, line);
    w.out = new HeadPublisher(listener, p -> w.drop());
    // Atomic with drop()'s removal of an emptied set: a watch never joins a set that has left the map.
    watches.compute(line, (k, ws) -> {
      Set<Watch> set = ws == null ? new CopyOnWriteArraySet<>() : ws;
      set.add(w);
      return set;
    });
    ops.execute(() -> refresh(line));
    return w.out;
  }

  /** The watched lines, for a resync. */
  List<String> lines() {
    return new ArrayList<>(watches.keySet());
  }

  /**
   * Makes sure the line's watch row is in place, then tells every watch of the line its head. Operations thread.
   */
  void refresh(String line) {
    Set<Watch> ws = watches.get(line);
    if (ops.closed() || ws == null || ws.isEmpty()) {
      return;
    }
    String election = ws.iterator().next().election;
    try {
      if (!rows.contains(line)) {
        // The row first, then the read: a change after the row's commit is notified, one before it is read.
        try (PreparedStatement p = ops.conn().prepareStatement(schema.addWatch)) {
          p.setString(1, line);
          p.setLong(2, keeper.sessionId());
          p.executeUpdate();
        }
        rows.add(line);
      }
      List<Participant> head = PgSchema.participants(ops.conn(), schema.head, line, election);
      Optional<Participant> h = head.isEmpty() ? Optional.empty() : Optional.of(head.get(0));
      for (Watch w : ws) {
        w.out.publish(h);
      }
    } catch (SQLException e) {
      if (PgErrors.connectionLost(e)) {
        ops.dropConnection();
        ops.retry(() -> refresh(line), 1);
      } else {
        ElectorException x = ops.translate(e, "watching election '" + election + "'");
        for (Watch w : ws) {
          w.out.fail(x);
          w.drop();
        }
      }
    }
  }

  /** The session expired: every watch fails, the engine sets new ones on the next session. */
  void sessionExpired(SessionLostException cause) {
    ops.execute(rows::clear);
    // Each line's set leaves the map before its watches fail: a watch added meanwhile starts a new set and is kept,
    // where clearing the map afterwards dropped it without a word.
    for (String line : new ArrayList<>(watches.keySet())) {
      Set<Watch> ws = watches.remove(line);
      if (ws != null) {
        for (Watch w : ws) {
          w.out.fail(cause);
        }
      }
    }
  }

  private void dropRow(String line) {
    if (ops.closed() || watches.containsKey(line) || !rows.remove(line)) {
      return;
    }
    try (PreparedStatement p = ops.conn().prepareStatement(schema.dropWatch)) {
      p.setString(1, line);
      p.setLong(2, keeper.sessionId());
      p.executeUpdate();
    } catch (SQLException e) {
      ops.dropConnectionIfLost(e); // a stale row costs one notification per change until the session ends
    }
  }

  /** One {@code watchHead} call: its line, and the publisher the engine holds (set once, before it is shared). */
  private final class Watch {
    final String election;
    final String line;
    HeadPublisher out;

    Watch(String election, String line) {
      this.election = election;
      this.line = line;
    }

    /** Leaves the line's watches, and drops the line's row when it was the last. Idempotent; any thread. */
    void drop() {
      boolean[] emptied = {false};
      watches.computeIfPresent(line, (k, ws) -> {
        ws.remove(this);
        emptied[0] = ws.isEmpty();
        return emptied[0] ? null : ws;
      });
      if (emptied[0]) {
        ops.execute(() -> dropRow(line));
      }
    }
  }
}
