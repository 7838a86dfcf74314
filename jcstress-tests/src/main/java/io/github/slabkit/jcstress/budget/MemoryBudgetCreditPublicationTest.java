package io.github.slabkit.jcstress.budget;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: actions in a thread prior to {@code credit(bytes)} happen-before actions in another thread
 * following a charge that succeeds because of that credit ({@code MemoryBudget}'s memory-consistency
 * sentence).
 *
 * <p>The budget (limit 8) is full. Actor 1 writes a plain field, then credits 8 bytes; actor 2 tries to
 * charge 8 and, if that succeeds, reads the field. Result: (charged, value read).
 */
@JCStressTest
@Description(
    "Actions in a thread prior to credit(bytes) happen-before actions in another thread following a "
        + "charge that succeeds because of that credit.")
@Outcome(id = "1, 42", expect = ACCEPTABLE, desc = "The charge used the credit and saw the write made before it.")
@Outcome(id = "0, -1", expect = ACCEPTABLE, desc = "The charge came before the credit and failed.")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "The charge used the credit but saw a stale field: the credit did not publish.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MemoryBudgetCreditPublicationTest {
  private final MemoryBudget budget = MemoryBudget.ofBytes("credit-publication", 8);
  private int data;

  {
    budget.tryCharge(8);
  }

  @Actor
  public void creditor() {
    data = 42;
    budget.credit(8);
  }

  @Actor
  public void charger(II_Result r) {
    if (budget.tryCharge(8)) {
      r.r1 = 1;
      r.r2 = data;
    } else {
      r.r1 = 0;
      r.r2 = -1;
    }
  }
}
