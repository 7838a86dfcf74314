package io.github.slabkit.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.mempool.Mempool;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: the reserve never exceeds {@code minNr}, and a free refills it while it is below {@code minNr}.
 *
 * <p>{@code minNr = 1}, the reserve is empty and two objects are out (one came from the backing allocator,
 * one from the reserve). Two threads free one each at the same time: exactly one refills the reserve and
 * the other goes back to the backing allocator. Result: (reserve level, objects the pool still holds from
 * the backing allocator).
 */
@JCStressTest
@Description("The reserve never exceeds minNr, and a free refills it while it is below minNr.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "One free refilled the reserve to minNr, the other went back to the backing allocator.")
@Outcome(id = "2, 2", expect = FORBIDDEN, desc = "Both frees went into the reserve: it exceeds minNr.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Both frees went back to the backing allocator: the reserve stayed empty.")
@Outcome(id = "1, 2", expect = FORBIDDEN, desc = "An object was lost: it is neither in the reserve nor back in the backing allocator.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome loses or duplicates an object.")
@State
public class MempoolReserveRefillRaceTest {
  private final CountingAllocator backing = new CountingAllocator("refill-backing", 2);
  private final Mempool pool = Mempool.builder("refill", backing).minNr(1).build();
  private final long a = pool.allocate();
  private final long b = pool.allocate();

  @Actor
  public void free1() {
    pool.free(a);
  }

  @Actor
  public void free2() {
    pool.free(b);
  }

  @Arbiter
  public void arbiter(II_Result r) {
    r.r1 = pool.reserveLevel();
    r.r2 = backing.live();
  }
}
