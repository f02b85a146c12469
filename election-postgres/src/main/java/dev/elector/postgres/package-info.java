/**
 * The PostgreSQL backend for Elector: sessions are lease rows judged on the database's clock, tickets are rows
 * numbered by a sequence, and handoffs travel by {@code LISTEN}/{@code NOTIFY}. Applications do not use this package
 * directly: put the {@code election-postgres} artifact on the class path and connect with
 * {@code Elections.connect("postgresql://host:5432/appdb/elector?user=app&password=…")}. The public classes are the
 * {@link dev.elector.postgres.PostgresElectionProvider}, found by {@link java.util.ServiceLoader}, and the fencing
 * helper for SQL tables.
 */
package dev.elector.postgres;
