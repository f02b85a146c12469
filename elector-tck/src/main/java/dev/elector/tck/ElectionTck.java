package dev.elector.tck;

import dev.elector.tck.TckFixture.Capability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The Elector technology-compatibility kit: every rule of {@code SPEC.md} as a JUnit 5 test, driven through the
 * public API against a real backend supplied by a {@link TckFixture}. A backend runs it with one subclass:
 *
 * <pre>{@code
 * class ZooKeeperTckTest extends ElectionTck {
 *   protected TckFixture fixture() { return new ZkFixture(); }
 * }
 * }</pre>
 *
 * <p>Test names carry the rule and its strength: {@code required_rule1_1_…} must pass on every backend;
 * {@code stochastic_…} is a randomized run (its seed is printed; rerun it with {@code -Delector.tck.seed=…}, and set
 * its length with {@code -Delector.tck.duration=60s}; 15 s by default); {@code untested_…} names a rule the kit
 * cannot verify through the public API and is reported as skipped with the reason. A test that needs a
 * {@link Capability} the fixture does not declare is skipped, naming the capability. Every failure message starts
 * with {@code rule X.Y:}.
 *
 * <p>The tests of each area (one SPEC section) are in that area's file, {@code SafetyRules}, {@code LivenessRules},
 * {@code EventsRules}, {@code LifecycleRules} (with {@code LifecycleLineRules}), {@code ObservationRules},
 * {@code LeaderWorkRules}, {@code HeldUpClientRules}, {@code AdversarialRules} and {@code RandomizedRules}; this class
 * nests each of them, so the report reads like the spec, and opens the {@code TestContext} they share before each test.
 *
 * <p>The fixture is created once per test class, by {@link #fixture()}, and started before the first test. Each test
 * uses fresh election names and its own clients, and closes them when it ends. Time bounds derive from
 * {@link TckFixture#sessionTimeout()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Elector TCK")
public abstract class ElectionTck {
  private TckFixture fixture;
  private TestContext current;

  /** The backend under test. Called once per test class, before the first test. */
  protected abstract TckFixture fixture();

  @BeforeAll
  final void startFixture() throws Exception {
    fixture = fixture();
    fixture.start();
  }

  @AfterAll
  final void stopFixture() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @BeforeEach
  final void openTestContext(TestInfo info) {
    current = new TestContext(fixture, info.getTestMethod().map(m -> m.getName()).orElse("test"));
  }

  @AfterEach
  final void closeTestContext() {
    if (current != null) {
      current.close();
      current = null;
    }
  }

  // ---------------------------------------------------------------- the areas, one per SPEC section
  // Each area's tests live in its own file (the class it extends); the nested class only hands it the current test,
  // so the report keeps one area per SPEC section and a failing rule X.Y points to that area's file.

  @Nested
  @DisplayName("1. Safety: one leader, fencing tokens, stepping down")
  class Safety extends SafetyRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("1.6 Leader-only work (LeaderWorkRules)")
  class LeaderWorkArea extends LeaderWorkRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("2. Liveness: someone leads, handoffs and failovers are bounded")
  class Liveness extends LivenessRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("3. Events: callbacks alternate, run on the application's executor, in order")
  class Events extends EventsRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("4. Lifecycle and input: close, bad input, discovery, many at once")
  class Lifecycle extends LifecycleRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("5. Observation: current leader first, every change, no leader, cancel, line order")
  class Observation extends ObservationRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("Held-up clients: a client's own callback blocks its thread")
  class HeldUp extends HeldUpClientRules { @Override TestContext test() { return current; } }

  @Nested
  @Tag("adversarial")
  @DisplayName("Adversarial: late answers, forced expiry, slow callbacks, one-way faults, deleted elections")
  class Adversarial extends AdversarialRules { @Override TestContext test() { return current; } }

  @Nested
  @DisplayName("Randomized faults and rules the kit cannot verify")
  class Randomized extends RandomizedRules { @Override TestContext test() { return current; } }
}
