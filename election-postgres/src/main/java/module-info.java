/** Elector's PostgreSQL backend: the provider for the {@code postgresql} scheme, and the fencing helper and schema script it exports. */
module dev.elector.postgres {
  requires transitive dev.elector;
  requires transitive java.sql;
  requires org.postgresql.jdbc;

  exports dev.elector.postgres;

  provides dev.elector.spi.ElectionProvider with dev.elector.postgres.PostgresElectionProvider;
}
