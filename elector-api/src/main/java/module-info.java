/** Elector's API, backend SPI and engine. Depends on the JDK alone. */
module dev.elector {
  exports dev.elector;
  exports dev.elector.spi;
  exports dev.elector.spi.support;

  uses dev.elector.spi.ElectionProvider;
}
