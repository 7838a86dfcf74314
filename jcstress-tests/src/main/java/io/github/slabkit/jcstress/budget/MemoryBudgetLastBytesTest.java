package io.github.slabkit.jcstress.budget;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: two charges racing for the last bytes of a budget never both succeed, one of them does, and the
 * budget ends exactly at its limit.
 *
 * <p>The budget has a limit of 10 bytes with 6 charged. Actor 1 makes a non-blocking {@code tryCharge(4)};
 * actor 2 a {@code charge(4, 0 ms)} (the reclaiming path with no wait; the budget has no shrinkers). Result:
 * (actor 1 charged, actor 2 charged, bytes used afterwards).
 */
@JCStressTest
@Description(
    "Two charges racing for the last bytes of a budget never both succeed, one of them does, and the "
        + "budget ends exactly at its limit.")
@Outcome(id = {"1, 0, 10", "0, 1, 10"}, expect = ACCEPTABLE, desc = "Exactly one charge got the last 4 bytes.")
@Outcome(id = {"1, 1, 14", "1, 1, 10"}, expect = FORBIDDEN, desc = "Both charges succeeded: the budget went past its limit, or a charge was lost.")
@Outcome(id = "0, 0, 6", expect = FORBIDDEN, desc = "Both charges failed although 4 bytes were free.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome: the bytes used do not match the charges made.")
@State
public class MemoryBudgetLastBytesTest {
  private final MemoryBudget budget = MemoryBudget.ofBytes("last-bytes", 10);

  {
    budget.tryCharge(6);
  }

  @Actor
  public void tryCharge(III_Result r) {
    r.r1 = budget.tryCharge(4) ? 1 : 0;
  }

  @Actor
  public void charge(III_Result r) {
    try {
      r.r2 = budget.charge(4, 0, java.util.concurrent.TimeUnit.MILLISECONDS) ? 1 : 0;
    } catch (InterruptedException e) {
      r.r2 = -1;
    }
  }

  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = (int) budget.used();
  }
}
