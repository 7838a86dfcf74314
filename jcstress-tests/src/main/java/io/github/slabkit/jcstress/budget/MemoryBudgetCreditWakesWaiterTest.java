package io.github.slabkit.jcstress.budget;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Claim: a credit never loses the wake-up of a charge waiting for it, whether the waiter is already parked,
 * registering itself as a waiter, or not yet there.
 *
 * <p>The budget (limit 8) is full. The actor charges 8 bytes with a one-hour wait; the signal credits 8.
 * The actor must return; if it stays blocked the harness reports {@code STALE}.
 */
@JCStressTest(Mode.Termination)
@Description(
    "A credit never loses the wake-up of a charge waiting for it, whether the waiter is already parked, "
        + "registering itself as a waiter, or not yet there.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The credit released the waiting charge.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The charge stayed blocked after the bytes were credited: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MemoryBudgetCreditWakesWaiterTest {
  private final MemoryBudget budget = MemoryBudget.ofBytes("credit-wakes", 8);

  {
    budget.tryCharge(8);
  }

  @Actor
  public void waiter() {
    try {
      budget.charge(8, 1, TimeUnit.HOURS);
    } catch (InterruptedException e) {
      // the harness interrupts a STALE actor to end the sample
    }
  }

  @Signal
  public void creditor() {
    budget.credit(8);
  }
}
