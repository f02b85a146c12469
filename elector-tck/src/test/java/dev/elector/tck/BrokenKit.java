package dev.elector.tck;

/**
 * The kit against a broken backend, run only by {@link BrokenBackendsTest} through the JUnit Platform test kit (its
 * name keeps Surefire from running it directly).
 */
class BrokenKit extends ElectionTck {
  static volatile Broken.Variant variant;

  @Override
  protected TckFixture fixture() {
    return new Broken.Fixture(variant);
  }
}
