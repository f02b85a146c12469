/** Elector's PostgreSQL backend: one provider for the {@code postgresql} scheme, nothing exported. */
module dev.elector.postgres {
  requires dev.elector;
  requires java.sql;
  requires org.postgresql.jdbc;

  provides dev.elector.spi.ElectionProvider with dev.elector.postgres.PostgresElectionProvider;
}
