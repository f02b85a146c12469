package dev.elector.tck;

/** The whole kit against the in-memory backend. */
class MemTckTest extends ElectionTck {
  @Override
  protected TckFixture fixture() {
    return new MemFixture();
  }
}
