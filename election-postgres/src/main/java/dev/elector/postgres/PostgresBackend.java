package dev.elector.postgres;

import dev.elector.AccessDeniedException;
import dev.elector.BackendUnavailableException;
import dev.elector.ClientConfig;
import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.HeadListener;
import dev.elector.spi.HeadWatch;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketLostException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Elector client's session with PostgreSQL. Three threads, all the backend's own: the session keeper
 * ({@link PgSessionKeeper}: renewals and notifications, on its own connection), the operations thread
 * ({@link PgOps}: every other statement, one at a time, on a second connection, where every stage completes) and a
 * timer (deadlines).
 *
 * <p>A waiting ticket is checked once when {@link #awaitHead} is called and again only when told: a NOTIFY from
 * the delete of the ticket just before it (its successor's channel is this client's), a reconnection or recovery
 * (notifications may have been missed), or the backstop every session timeout. Statements that may have run
 * although their answer was lost ({@link #enqueue}, {@link #remove}) are retried until their fate is known.
 */
final class PostgresBackend implements ElectionBackend, PgSessionKeeper.Events {
  private static final AtomicInteger IDS = new AtomicInteger();

  private final ClientConfig config;
  private final PgLocation location;
  private final PgSchema schema;
  private final PgConnector connector;
  private final PgSessionKeeper keeper;
  private final PgOps ops;
  private final PgHeadWatches heads;
  private final ScheduledExecutorService timer;
  private final Thread keeperThread;

  /** This session's tickets still in line as far as we know, by token. */
  private final Map<Long, Ticket> tickets = new ConcurrentHashMap<>();
  /** Tokens whose wait completed: they may hold a term. */
  private final Set<Long> leading = ConcurrentHashMap.newKeySet();
  private final Map<Long, Wait> waits = new ConcurrentHashMap<>();

  private PostgresBackend(ClientConfig config, PgLocation location, BackendListener listener) {
    this.config = config;
    this.location = location;
    this.schema = new PgSchema(location.schema());
    this.connector = new PgConnector(config, location);
    int id = IDS.incrementAndGet();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "elector-postgres-timer-" + id));
    this.keeper = new PgSessionKeeper(connector, schema, listener, timer, config.sessionTimeout());
    this.keeper.setEvents(this);
    this.ops = new PgOps(connector, config.sessionTimeout(), keeper::suspended, "elector-postgres-ops-" + id,
        connector.endpoints() + "/" + location.database());
    this.heads = new PgHeadWatches(ops, schema, location, keeper);
    this.keeperThread = daemon(keeper, "elector-postgres-session-" + id);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Opens the first session within the connect timeout. */
  static PostgresBackend open(ClientConfig config, PgLocation location, BackendListener listener) {
    PostgresBackend b = new PostgresBackend(config, location, listener);
    b.keeperThread.start();
    String where = "PostgreSQL at " + b.connector.endpoints() + ", database '" + location.database() + "'";
    try {
      b.keeper.firstSession.get(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
      return b;
    } catch (TimeoutException e) {
      b.close();
      Throwable last = b.keeper.lastError();
      throw new BackendUnavailableException("No session with " + where + " within the connect timeout "
          + config.connectTimeout() + (last == null ? "" : ": " + last.getMessage()), last);
    } catch (ExecutionException e) {
      b.close();
      ElectorException x = PgErrors.translate(e.getCause(), "Opening a session with " + where,
          b.connector.endpoints(), false);
      throw x instanceof AccessDeniedException || x instanceof BackendUnavailableException ? x
          : new BackendUnavailableException(x.getMessage(), e.getCause());
    } catch (InterruptedException e) {
      b.close();
      Thread.currentThread().interrupt();
      throw new BackendUnavailableException("Interrupted while opening a session with " + where, e);
    }
  }

  @Override
  public long sessionId() {
    return ops.closed() ? 0 : keeper.sessionId();
  }

  @Override
  public long sessionDeadline() {
    return ops.closed() ? System.nanoTime() - 1 : keeper.sessionDeadline();
  }

  // ---------------------------------------------------------------- operations

  @Override
  public CompletionStage<Ticket> enqueue(String election, String candidateId, byte[] data) {
    CompletableFuture<Ticket> f = new CompletableFuture<>();
    long session = keeper.sessionId();
    UUID nonce = UUID.randomUUID();
    ops.submit(f, () -> tryEnqueue(f, session, election, candidateId, data, nonce, 0));
    return f;
  }

  private void tryEnqueue(CompletableFuture<Ticket> f, long session, String election, String candidateId,
      byte[] data, UUID nonce, int attempt) {
    if (failIfGone(f, session)) {
      return;
    }
    try (PreparedStatement p = ops.conn().prepareStatement(schema.enqueue)) {
      p.setLong(1, session);
      p.setString(2, location.line(election));
      p.setObject(3, nonce);
      p.setString(4, candidateId);
      p.setBytes(5, data);
      long token;
      try (ResultSet r = p.executeQuery()) {
        r.next();
        token = r.getLong(1);
      }
      Ticket t = new Ticket(election, candidateId, Long.toString(token), token, session);
      tickets.put(token, t);
      f.complete(t);
    } catch (SQLException e) {
      if (PgErrors.connectionLost(e)) {
        // The insert may have committed: the retry carries the same nonce and finds it (SPEC rule 1.5).
        ops.dropConnection();
        ops.retry(() -> tryEnqueue(f, session, election, candidateId, data, nonce, attempt + 1), attempt);
      } else {
        f.completeExceptionally(ops.translate(e, "enqueue in election '" + election + "'"));
      }
    }
  }

  /** Fails {@code f} if the backend closed or {@code session} is no longer the live one. */
  private boolean failIfGone(CompletableFuture<?> f, long session) {
    if (ops.closed()) {
      f.completeExceptionally(ops.closedException());
      return true;
    }
    if (session == 0 || session != keeper.sessionId()) {
      f.completeExceptionally(new SessionLostException("the PostgreSQL session "
          + (session == 0 ? "was not open" : session + " expired"), session != 0));
      return true;
    }
    return false;
  }

  @Override
  public CompletionStage<Void> awaitHead(Ticket ticket) {
    Wait w = new Wait(ticket, new CompletableFuture<>());
    waits.put(ticket.token(), w); // supersedes an earlier wait for the ticket
    ops.submit(w.future, () -> check(w));
    return w.future;
  }

  /** Completes the wait if its ticket is first among live sessions' tickets; else leaves it for a notice. */
  private void check(Wait w) {
    long token = w.ticket.token();
    if (waits.get(token) != w) {
      return;
    }
    if (failIfGone(w.future, w.ticket.sessionId())) {
      waits.remove(token, w);
      return;
    }
    try (PreparedStatement p = ops.conn().prepareStatement(schema.headCheck)) {
      long session = w.ticket.sessionId();
      p.setLong(1, session);
      p.setLong(2, token);
      p.setLong(3, session);
      p.setString(4, location.line(w.ticket.election()));
      p.setLong(5, token);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        boolean alive = r.getBoolean(1);
        boolean present = r.getBoolean(2);
        boolean first = r.getBoolean(3);
        if (!alive) {
          end(w, new SessionLostException("the PostgreSQL session " + session + " expired", true));
        } else if (!present) {
          end(w, new TicketLostException("ticket " + token + " of election '" + w.ticket.election()
              + "' is no longer in line"));
        } else if (first && waits.remove(token, w)) {
          leading.add(token);
          w.future.complete(null);
        }
      }
    } catch (SQLException e) {
      if (PgErrors.connectionLost(e)) {
        ops.dropConnection();
        ops.retry(() -> check(w), 1); // stays pending while the session may live (suspended waits stay pending)
      } else {
        end(w, ops.translate(e, "waiting in election '" + w.ticket.election() + "'"));
      }
    }
  }

  private void end(Wait w, Throwable cause) {
    if (waits.remove(w.ticket.token(), w)) {
      w.future.completeExceptionally(cause);
    }
  }

  @Override
  public CompletionStage<Void> remove(Ticket ticket) {
    forget(ticket.token(), "removed");
    CompletableFuture<Void> f = new CompletableFuture<>();
    ops.submit(f, () -> tryRemove(f, ticket, 0));
    return f;
  }

  private void forget(long token, String why) {
    tickets.remove(token);
    leading.remove(token);
    Wait w = waits.remove(token);
    if (w != null) {
      w.future.completeExceptionally(new TicketLostException("ticket " + token + " was " + why));
    }
  }

  private void tryRemove(CompletableFuture<Void> f, Ticket ticket, int attempt) {
    if (ops.closed() || ticket.sessionId() != keeper.sessionId()) {
      f.complete(null); // gone with its session (close deletes the session row)
      return;
    }
    try (PreparedStatement p = ops.conn().prepareStatement(schema.deleteTicket)) {
      p.setLong(1, ticket.token());
      p.executeUpdate();
      f.complete(null);
    } catch (SQLException e) {
      if (PgErrors.connectionLost(e)) {
        ops.dropConnection();
        ops.retry(() -> tryRemove(f, ticket, attempt + 1), attempt);
      } else {
        f.completeExceptionally(ops.translate(e, "removing ticket " + ticket.token()));
      }
    }
  }

  @Override
  public CompletionStage<Void> update(Ticket ticket, byte[] data) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    ops.submit(f, () -> {
      try (PreparedStatement p = ops.conn().prepareStatement(schema.updateTicket)) {
        p.setBytes(1, data);
        p.setLong(2, ticket.token());
        p.setLong(3, ticket.sessionId());
        if (p.executeUpdate() == 0) {
          f.completeExceptionally(new TicketLostException("ticket " + ticket.token() + " of election '"
              + ticket.election() + "' is no longer in line"));
        } else {
          f.complete(null);
        }
      } catch (SQLException e) {
        ops.fail(f, e, "updating the data of ticket " + ticket.token());
      }
    });
    return f;
  }

  @Override
  public CompletionStage<List<Participant>> line(String election) {
    CompletableFuture<List<Participant>> f = new CompletableFuture<>();
    ops.submit(f, () -> {
      try {
        f.complete(PgSchema.participants(ops.conn(), schema.line, location.line(election), election));
      } catch (SQLException e) {
        ops.fail(f, e, "reading the line of election '" + election + "'");
      }
    });
    return f;
  }

  @Override
  public HeadWatch watchHead(String election, HeadListener listener) {
    return heads.watch(election, listener);
  }

  // ---------------------------------------------------------------- session events (keeper thread)

  @Override
  public void notified(String payload) {
    int colon = payload.indexOf(':');
    String kind = payload.substring(0, colon + 1);
    String arg = payload.substring(colon + 1);
    switch (kind) {
      case "next:" -> {
        Wait w = waits.get(Long.parseLong(arg));
        if (w != null) {
          ops.execute(() -> check(w));
        }
      }
      case "gone:" -> {
        long token = Long.parseLong(arg);
        Ticket t = tickets.remove(token);
        if (t == null) {
          return; // removed by us, or not ours any more
        }
        if (leading.remove(token)) {
          keeper.lostLeadingTicket(t);
        } else {
          keeper.lostTicket(t);
        }
        forget(token, "deleted by someone else");
      }
      case "line:" -> ops.execute(() -> heads.refresh(arg));
      default -> { } // a payload of a later version: the backstop covers whatever it meant
    }
  }

  @Override
  public void sessionExpired(long id) {
    SessionLostException cause = new SessionLostException("the PostgreSQL session " + id + " expired", true);
    tickets.clear();
    leading.clear();
    for (Wait w : new ArrayList<>(waits.values())) {
      end(w, cause);
    }
    heads.sessionExpired(cause);
  }

  @Override
  public void resync() {
    ops.execute(() -> {
      for (Wait w : new ArrayList<>(waits.values())) {
        check(w);
      }
      for (String line : heads.lines()) {
        heads.refresh(line);
      }
    });
  }

  @Override
  public void close() {
    if (ops.closed()) {
      return;
    }
    long session = keeper.sessionId();
    ops.markClosed();
    // End the session on the server at once: its tickets go with its row (ON DELETE CASCADE), waking successors.
    CompletableFuture<Void> deleted = new CompletableFuture<>();
    ops.execute(() -> {
      try {
        if (session != 0) {
          try (PreparedStatement p = ops.conn().prepareStatement(schema.deleteSession)) {
            p.setLong(1, session);
            p.executeUpdate();
          }
        }
      } catch (SQLException e) {
        // Unreachable: the row expires by itself within the session timeout.
      } finally {
        ops.dropConnection();
        deleted.complete(null);
      }
    });
    try {
      deleted.get(config.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // As above: the server expires the row by itself.
    }
    keeper.close();
    ClosedException cause = ops.closedException();
    for (Wait w : new ArrayList<>(waits.values())) {
      end(w, cause);
    }
    ops.shutdown();
    timer.shutdownNow();
  }

  private record Wait(Ticket ticket, CompletableFuture<Void> future) {}
}
