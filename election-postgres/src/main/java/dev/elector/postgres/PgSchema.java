package dev.elector.postgres;

import dev.elector.Participant;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Elector's tables in one schema, and every SQL statement the backend sends, with the schema written in. The
 * schema name is a validated plain identifier ({@link PgLocation}); every value is a bound parameter.
 *
 * <p>Invariants the statements rely on:
 *
 * <ul>
 *   <li>a session row is alive while {@code expires_at >= clock_timestamp()} on the database; a renewal never
 *       revives a row past its expiry, and every read of a line ignores tickets of sessions past it, so a session's
 *       end is one instant on one clock;
 *   <li>tokens come from one sequence, drawn while holding the line's transaction lock, so within a line tokens
 *       grow in commit order (a later-committed ticket never lands in front of an earlier one) and never repeat,
 *       whatever rows are deleted;
 *   <li>a ticket's delete wakes only its successor's client and its own (NOTIFY on their channels), and the
 *       election's observers; an expired session's row is deleted by any client's renewal, which deletes its
 *       tickets and so wakes their successors.
 * </ul>
 */
final class PgSchema {
  /** Created last: its presence says the whole schema is there. */
  private static final String MARKER = "enqueue(bigint,text,uuid,text,bytea)";

  private static final String DDL = """
      CREATE SCHEMA IF NOT EXISTS {s};
      CREATE SEQUENCE IF NOT EXISTS {s}.tokens;
      CREATE SEQUENCE IF NOT EXISTS {s}.session_ids;
      CREATE TABLE IF NOT EXISTS {s}.sessions (
        id bigint PRIMARY KEY DEFAULT nextval('{s}.session_ids'),
        channel text NOT NULL,
        expires_at timestamptz NOT NULL,
        owner name NOT NULL DEFAULT current_user);
      CREATE INDEX IF NOT EXISTS sessions_expiry ON {s}.sessions (expires_at);
      CREATE TABLE IF NOT EXISTS {s}.tickets (
        token bigint PRIMARY KEY,
        election text NOT NULL,
        session_id bigint REFERENCES {s}.sessions (id) ON DELETE CASCADE,
        nonce uuid NOT NULL UNIQUE,
        candidate text NOT NULL,
        data bytea NOT NULL,
        owner name NOT NULL DEFAULT current_user);
      CREATE INDEX IF NOT EXISTS tickets_line ON {s}.tickets (election, token);
      CREATE INDEX IF NOT EXISTS tickets_session ON {s}.tickets (session_id);
      CREATE TABLE IF NOT EXISTS {s}.watches (
        election text NOT NULL,
        session_id bigint NOT NULL REFERENCES {s}.sessions (id) ON DELETE CASCADE,
        PRIMARY KEY (election, session_id));
      CREATE INDEX IF NOT EXISTS watches_session ON {s}.watches (session_id);

      CREATE OR REPLACE FUNCTION {s}.notify_watchers(p_election text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE ch text;
      BEGIN
        FOR ch IN SELECT DISTINCT se.channel FROM {s}.watches w JOIN {s}.sessions se ON se.id = w.session_id
                  WHERE w.election = p_election LOOP
          PERFORM pg_notify(ch, 'line:' || p_election);
        END LOOP;
      END $$;

      CREATE OR REPLACE FUNCTION {s}.ticket_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE nxt record; ch text;
      BEGIN
        SELECT t.token, se.channel INTO nxt FROM {s}.tickets t JOIN {s}.sessions se ON se.id = t.session_id
         WHERE t.election = OLD.election AND t.token > OLD.token ORDER BY t.token LIMIT 1;
        IF FOUND THEN PERFORM pg_notify(nxt.channel, 'next:' || nxt.token); END IF;
        SELECT se.channel INTO ch FROM {s}.sessions se WHERE se.id = OLD.session_id;
        IF FOUND THEN PERFORM pg_notify(ch, 'gone:' || OLD.token); END IF;
        PERFORM {s}.notify_watchers(OLD.election);
        RETURN NULL;
      END $$;

      CREATE OR REPLACE FUNCTION {s}.ticket_written() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM {s}.notify_watchers(NEW.election);
        RETURN NULL;
      END $$;

      CREATE OR REPLACE FUNCTION {s}.session_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(OLD.channel, 'expired:' || OLD.id);
        RETURN NULL;
      END $$;

      DROP TRIGGER IF EXISTS ticket_deleted ON {s}.tickets;
      CREATE TRIGGER ticket_deleted AFTER DELETE ON {s}.tickets
        FOR EACH ROW EXECUTE FUNCTION {s}.ticket_deleted();
      DROP TRIGGER IF EXISTS ticket_written ON {s}.tickets;
      CREATE TRIGGER ticket_written AFTER INSERT OR UPDATE ON {s}.tickets
        FOR EACH ROW EXECUTE FUNCTION {s}.ticket_written();
      DROP TRIGGER IF EXISTS session_deleted ON {s}.sessions;
      CREATE TRIGGER session_deleted AFTER DELETE ON {s}.sessions
        FOR EACH ROW EXECUTE FUNCTION {s}.session_deleted();

      -- Row-level security for roles other than the schema's owner: every role reads every line, but changes only
      -- its own sessions and tickets; an expired session may be deleted (reaped) by anyone, its tickets with it.
      ALTER TABLE {s}.sessions ENABLE ROW LEVEL SECURITY;
      ALTER TABLE {s}.tickets ENABLE ROW LEVEL SECURITY;
      ALTER TABLE {s}.watches ENABLE ROW LEVEL SECURITY;
      DROP POLICY IF EXISTS read_all ON {s}.sessions;
      CREATE POLICY read_all ON {s}.sessions FOR SELECT USING (true);
      DROP POLICY IF EXISTS insert_own ON {s}.sessions;
      CREATE POLICY insert_own ON {s}.sessions FOR INSERT WITH CHECK (owner = current_user);
      DROP POLICY IF EXISTS renew_own ON {s}.sessions;
      CREATE POLICY renew_own ON {s}.sessions FOR UPDATE USING (owner = current_user);
      DROP POLICY IF EXISTS delete_own_or_expired ON {s}.sessions;
      CREATE POLICY delete_own_or_expired ON {s}.sessions FOR DELETE
        USING (owner = current_user OR expires_at < clock_timestamp());
      DROP POLICY IF EXISTS read_all ON {s}.tickets;
      CREATE POLICY read_all ON {s}.tickets FOR SELECT USING (true);
      DROP POLICY IF EXISTS insert_own ON {s}.tickets;
      CREATE POLICY insert_own ON {s}.tickets FOR INSERT WITH CHECK (owner = current_user
        AND EXISTS (SELECT 1 FROM {s}.sessions se WHERE se.id = session_id AND se.owner = current_user));
      DROP POLICY IF EXISTS update_own ON {s}.tickets;
      CREATE POLICY update_own ON {s}.tickets FOR UPDATE USING (owner = current_user);
      DROP POLICY IF EXISTS delete_own ON {s}.tickets;
      CREATE POLICY delete_own ON {s}.tickets FOR DELETE USING (owner = current_user);
      DROP POLICY IF EXISTS read_all ON {s}.watches;
      CREATE POLICY read_all ON {s}.watches FOR SELECT USING (true);
      DROP POLICY IF EXISTS insert_own ON {s}.watches;
      CREATE POLICY insert_own ON {s}.watches FOR INSERT
        WITH CHECK (EXISTS (SELECT 1 FROM {s}.sessions se WHERE se.id = session_id AND se.owner = current_user));
      DROP POLICY IF EXISTS delete_own ON {s}.watches;
      CREATE POLICY delete_own ON {s}.watches FOR DELETE
        USING (EXISTS (SELECT 1 FROM {s}.sessions se WHERE se.id = session_id AND se.owner = current_user));

      -- One statement, so no transaction is ever left open holding the line's lock when a client vanishes. The nonce
      -- makes a retry after a lost answer find the first attempt ticket instead of adding a second (SPEC 1.5).
      CREATE OR REPLACE FUNCTION {s}.enqueue(p_session bigint, p_election text, p_nonce uuid, p_candidate text,
          p_data bytea) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE tok bigint;
      BEGIN
        SELECT token INTO tok FROM {s}.tickets WHERE nonce = p_nonce;
        IF FOUND THEN RETURN tok; END IF;
        PERFORM 1 FROM {s}.sessions WHERE id = p_session AND expires_at >= clock_timestamp();
        IF NOT FOUND THEN
          RAISE EXCEPTION 'Elector session % has expired', p_session USING ERRCODE = 'EL001';
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('{s}.' || p_election, 0));
        INSERT INTO {s}.tickets (token, election, session_id, nonce, candidate, data)
          VALUES (nextval('{s}.tokens'), p_election, p_session, p_nonce, p_candidate, p_data)
          ON CONFLICT (nonce) DO NOTHING;
        SELECT token INTO tok FROM {s}.tickets WHERE nonce = p_nonce;
        RETURN tok;
      END $$;
      """;

  final String schema;
  /** Opens a session; parameters: channel, timeout in ms. */
  final String openSession;
  /**
   * Reaps every other expired session, then renews this one unless it has expired already; parameters: own id,
   * timeout in ms, own id. Returns a row only if renewed.
   */
  final String renew;
  final String deleteSession;
  final String enqueue;
  /** alive (null: the session row is gone), present, first; parameters: session, token, session, line, token. */
  final String headCheck;
  final String line;
  final String head;
  final String deleteTicket;
  final String updateTicket;
  final String addWatch;
  final String dropWatch;

  PgSchema(String schema) {
    this.schema = schema;
    String live = " JOIN {s}.sessions se ON se.id = t.session_id AND se.expires_at >= clock_timestamp() ";
    openSession = sql("INSERT INTO {s}.sessions (channel, expires_at) "
        + "VALUES (?, clock_timestamp() + ? * interval '1 millisecond') RETURNING id");
    renew = sql("WITH reaped AS (DELETE FROM {s}.sessions WHERE expires_at < clock_timestamp() AND id <> ?) "
        + "UPDATE {s}.sessions SET expires_at = clock_timestamp() + ? * interval '1 millisecond' "
        + "WHERE id = ? AND expires_at >= clock_timestamp() RETURNING id");
    deleteSession = sql("DELETE FROM {s}.sessions WHERE id = ?");
    enqueue = sql("SELECT {s}.enqueue(?, ?, ?, ?, ?)");
    headCheck = sql("SELECT (SELECT expires_at >= clock_timestamp() FROM {s}.sessions WHERE id = ?), "
        + "EXISTS (SELECT 1 FROM {s}.tickets WHERE token = ? AND session_id = ?), "
        + "NOT EXISTS (SELECT 1 FROM {s}.tickets t" + live + "WHERE t.election = ? AND t.token < ?)");
    line = sql("SELECT t.token, t.candidate, t.data FROM {s}.tickets t" + live
        + "WHERE t.election = ? ORDER BY t.token");
    head = line + " LIMIT 1";
    deleteTicket = sql("DELETE FROM {s}.tickets WHERE token = ?");
    updateTicket = sql("UPDATE {s}.tickets SET data = ? WHERE token = ? AND session_id = ?");
    addWatch = sql("INSERT INTO {s}.watches (election, session_id) VALUES (?, ?) ON CONFLICT DO NOTHING");
    dropWatch = sql("DELETE FROM {s}.watches WHERE election = ? AND session_id = ?");
  }

  /**
   * What a least-privilege role needs to take part in the schema's elections (run by the schema's owner): read every
   * line, write rows that row-level security then limits to the role's own sessions and tickets, draw tokens.
   */
  String grants(String role) {
    return sql("GRANT USAGE ON SCHEMA {s} TO " + role + ";\n"
        + "GRANT SELECT, INSERT, UPDATE, DELETE ON {s}.sessions, {s}.tickets, {s}.watches TO " + role + ";\n"
        + "GRANT USAGE ON SEQUENCE {s}.tokens, {s}.session_ids TO " + role + ";\n");
  }

  /** Runs {@link #line} or {@link #head} for {@code line}, reporting its tickets as {@code election}'s. */
  static List<Participant> participants(Connection c, String sql, String line, String election)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setString(1, line);
      List<Participant> out = new ArrayList<>();
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          out.add(new Participant(election, r.getString(2), r.getLong(1), r.getBytes(3)));
        }
      }
      return out;
    }
  }

  private String sql(String template) {
    return template.replace("{s}", schema);
  }

  /** The schema's DDL: what {@link #ensure} runs, for a DBA who creates the schema ahead of time. */
  String ddl() {
    return sql(DDL);
  }

  /**
   * Creates the schema if it is not complete yet, in one transaction under a lock, so that clients starting
   * together never race on {@code CREATE … IF NOT EXISTS}. A role that cannot create it fails here, clearly, only
   * when it is missing.
   */
  void ensure(Connection c) throws SQLException {
    if (exists(c)) {
      return;
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
        lock.setString(1, "elector-schema:" + schema);
        lock.execute();
      }
      if (!exists(c)) {
        try (Statement s = c.createStatement()) {
          s.execute(ddl());
        }
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  private boolean exists(Connection c) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT to_regprocedure(?) IS NOT NULL")) {
      p.setString(1, schema + "." + MARKER);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getBoolean(1);
      }
    }
  }
}
