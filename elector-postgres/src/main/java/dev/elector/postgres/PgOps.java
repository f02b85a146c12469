package dev.elector.postgres;

import dev.elector.ClosedException;
import dev.elector.ElectorException;
import dev.elector.spi.support.Backoff;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The operations thread and its connection: every statement but the session keeper's runs here, one at a time,
 * and every stage the backend hands out completes here. The connection is opened on first use and dropped (to be
 * opened again) when it fails.
 */
final class PgOps {
  private final ScheduledExecutorService executor;
  private final PgConnector connector;
  private final Duration networkTimeout;
  private final Backoff retryBackoff;
  private final BooleanSupplier suspended;
  private final String description;
  private volatile boolean closed;
  private Connection conn; // operations thread only

  PgOps(PgConnector connector, Duration sessionTimeout, BooleanSupplier suspended, String threadName,
      String description) {
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    this.connector = connector;
    this.networkTimeout = sessionTimeout.dividedBy(2).plusMillis(500);
    this.retryBackoff = new Backoff(50, Math.max(50, sessionTimeout.toMillis() / 6));
    this.suspended = suspended;
    this.description = description;
  }

  boolean closed() {
    return closed;
  }

  /** From now on stages fail with {@link ClosedException}; the thread runs what is queued until {@link #shutdown}. */
  void markClosed() {
    closed = true;
  }

  /** The connection, opened if needed. Operations thread only. */
  Connection conn() throws SQLException {
    if (conn == null) {
      conn = connector.connect(networkTimeout);
    }
    return conn;
  }

  /** Operations thread only. */
  void dropConnection() {
    PgConnector.abort(conn);
    conn = null;
  }

  void dropConnectionIfLost(SQLException e) {
    if (PgErrors.connectionLost(e)) {
      dropConnection();
    }
  }

  /** Drops a lost connection and fails {@code f} with the translated error. */
  void fail(CompletableFuture<?> f, SQLException e, String what) {
    dropConnectionIfLost(e);
    f.completeExceptionally(translate(e, what));
  }

  ElectorException translate(Throwable e, String what) {
    return PgErrors.translate(e, what, connector.endpoints(), suspended.getAsBoolean());
  }

  ClosedException closedException() {
    return new ClosedException("The PostgreSQL backend for " + description + " is closed");
  }

  /** Runs {@code task} on the operations thread; nothing once shut down. */
  void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException shutDown) {
      // Closed: the task's stage, if any, was failed by close().
    }
  }

  /** Runs {@code task} on the operations thread, or fails {@code f} if closed. */
  void submit(CompletableFuture<?> f, Runnable task) {
    if (closed) {
      f.completeExceptionally(closedException());
      return;
    }
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(closedException());
    }
  }

  /**
   * Runs {@code task} again after a pause that grows with {@code attempt}; at once if closed (the task then fails
   * its stage with {@link ClosedException}).
   */
  void retry(Runnable task, int attempt) {
    long pause = retryBackoff.pauseMillis(attempt);
    try {
      if (closed) {
        task.run();
      } else {
        executor.schedule(task, pause, TimeUnit.MILLISECONDS);
      }
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  /** Stops the thread and closes the connection without waiting for a statement in progress. */
  void shutdown() {
    executor.shutdownNow();
    PgConnector.abort(conn);
  }
}
