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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: two allocations racing for the last object of the reserve never both get it, and the reserve
 * count never goes negative.
 *
 * <p>The backing allocator is exhausted and the reserve holds one object. Both threads {@code
 * tryAllocate()}. Result: (thread 1 got one, thread 2 got one, reserve level afterwards).
 */
@JCStressTest
@Description(
    "Two allocations racing for the last object of the reserve never both get it, and the reserve "
        + "count never goes negative.")
@Outcome(id = {"1, 0, 0", "0, 1, 0"}, expect = ACCEPTABLE, desc = "Exactly one thread got the reserve's last object; the reserve is empty.")
@Outcome(id = "1, 1, -1", expect = FORBIDDEN, desc = "Both threads got an object and the reserve count went negative.")
@Outcome(id = "1, 1, 0", expect = FORBIDDEN, desc = "Both threads got the reserve's last object.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome loses or duplicates an object.")
@State
public class MempoolReserveTakeRaceTest {
  private final Mempool pool =
      Mempool.builder("take", new CountingAllocator("take-backing", 1)).minNr(1).build();
  private long h1;
  private long h2;

  @Actor
  public void actor1() {
    h1 = pool.tryAllocate();
  }

  @Actor
  public void actor2() {
    h2 = pool.tryAllocate();
  }

  @Arbiter
  public void arbiter(III_Result r) {
    r.r1 = h1 != 0 ? 1 : 0;
    r.r2 = h2 != 0 ? 1 : 0;
    r.r3 = pool.reserveLevel();
  }
}
