package dev.elector.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A client held up by its own application. A listener given a direct executor ({@code Runnable::run}) runs on
 * whatever thread Elector hands it to (rule 3.2 allows it): Elector's engine thread, which a backend may share for its
 * renewals and events. Until the listener returns, that client renews nothing and hears nothing. The safety rules
 * hold however long that lasts. {@link ElectionTck} nests this area, handing it the current test's
 * {@link TestContext}.
 */
abstract class HeldUpClientRules extends AreaRules {
  /** A listener whose first {@code elected} blocks until released or until its bound passes. */
  private static final class Hold implements LeadershipListener {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch released = new CountDownLatch(1);
    final AtomicBoolean first = new AtomicBoolean(true);
    final Duration bound;
    volatile String thread = "(not run)";
    volatile long returnedAt;

    Hold(Duration bound) {
      this.bound = bound;
    }

    @Override
    public void elected(Leadership term) {
      if (!first.getAndSet(false)) {
        return;
      }
      thread = Thread.currentThread().getName();
      entered.countDown();
      try {
        released.await(bound.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        returnedAt = System.nanoTime();
      }
    }

    @Override
    public void revoked(Leadership term, EndReason reason) {}
  }

  /**
   * Verifies rules 1.1 and 1.4 when a leader's own callback holds up its client: a listener on a direct executor,
   * added while {@code a} leads, blocks in {@code elected} for 1.5 session timeouts and half a second. Meanwhile the
   * service may keep {@code a}'s session (a client library that renews on a thread of its own) or end it and elect
   * {@code b}, next in line on another client. Either way {@code a}'s term is never valid while {@code b} leads, it
   * never becomes valid again once seen invalid (the history checks both at every sample), and once the listener
   * returns exactly one of the two leads within the recovery bound.
   *
   * <p>If this test fails, check that {@code isValid()} reads a deadline that moves only on renewals the service
   * answered, counted from when they were sent: never a "connected" flag, or a deadline, that only a thread the
   * application can block keeps up to date, and never a renewal that the held-up client sent, or handled, late.
   */
  @Test
  @DisplayName("1.1 A leader held up by its own direct callback never leads beside its successor")
  void required_rule1_1_leaderHeldUpByItsDirectCallback() throws Exception {
    String e = election("held-up");
    TckClient ca = test().client();
    TckClient cb = test().client();
    Candidate a = test().join(ca, e, "a");
    Leadership t = test().awaitLeader("2.1", a, test().bounds.election());
    Candidate b = test().join(cb, e, "b");
    test().await("5.5", "b in line behind a", test().bounds.operation(), () -> lineSize(cb, e) == 2);

    // Long enough for a lease renewed just before the block to run out (etcd), and for the successor to follow.
    Duration held = test().fixture.sessionTimeout().multipliedBy(3).dividedBy(2).plusMillis(500);
    Hold hold = new Hold(held);
    boolean bLedMeanwhile = false;
    try {
      // Rule 3.3: a listener added during a term is told of it first; this one blocks in that call.
      a.addListener(Runnable::run, hold);
      check(hold.entered.await(test().bounds.operation().toMillis(), TimeUnit.MILLISECONDS), "3.3",
          () -> "a direct listener added during a's term was not told of it within "
              + test().bounds.operation().toMillis() + " ms");
      long heldAt = System.nanoTime();
      long until = heldAt + held.toNanos() + test().bounds.operation().toNanos();
      while (hold.returnedAt == 0) {
        if (System.nanoTime() - until > 0) {
          fail("rule 1.1: cannot be checked: the held-up listener, which returns by itself after "
              + held.toMillis() + " ms, had not returned " + ms(System.nanoTime() - heldAt) + " after it began");
        }
        if (b.isLeader()) {
          bLedMeanwhile = true;
          long at = System.nanoTime() - heldAt;
          check(!t.isValid(), "1.1", () -> "b leads while a's term (token " + t.token() + ") is still valid, "
              + ms(at) + " after a's own direct listener began holding up its client on thread '" + hold.thread
              + "'\n" + test().lineText(e));
        }
        LockSupport.parkNanos(1_000_000);
      }
    } finally {
      hold.released.countDown();
    }
    // The history has checked rule 1.4 (a's term never valid again once seen invalid) at every sample.
    String leader = test().awaitOneLeader("2.5", List.of("a", "b"), test().bounds.recovery());
    Candidate now = leader.equals("a") ? a : b;
    Leadership current = test().awaitLeader("2.5", now, test().bounds.operation());
    // a may resume its own place with the same token (rule 1.2's one exception); b's term comes after a's.
    check(leader.equals("a") ? current.token() >= t.token() : current.token() > t.token(), "1.2",
        () -> "token went back from " + t.token() + " to " + current.token() + " (" + leader + " leads)");
    boolean bLed = bLedMeanwhile;
    System.out.printf("held-up client: a's direct listener blocked %d ms on '%s'; b %s while it blocked; %s leads "
        + "after (token %d, a's held term %d)%n", held.toMillis(), hold.thread, bLed ? "led" : "did not lead",
        leader, current.token(), t.token());
    closeAndCheck("a", "b");
  }
}
