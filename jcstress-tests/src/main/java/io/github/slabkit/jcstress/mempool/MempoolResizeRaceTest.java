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
 * Claim: {@code resize} racing allocation and free keeps the element count: every object the pool took from
 * the backing allocator is afterwards either in the reserve or held by a caller, and the reserve does not
 * exceed the new {@code minNr}.
 *
 * <p>{@code minNr = 2} with a full reserve; the backing allocator has one object left and the state holds
 * one more. Actor 1 shrinks the pool to {@code minNr = 1} (the surplus goes back at once); actor 2 frees
 * its object and allocates one. Result: (reserve level, 1 if the count is kept).
 */
@JCStressTest
@Description(
    "Resize racing allocation and free keeps the element count: every object the pool took from the "
        + "backing allocator is afterwards either in the reserve or held by a caller, and the reserve does "
        + "not exceed the new minNr.")
@Outcome(id = {"0, 1", "1, 1"}, expect = ACCEPTABLE, desc = "Every object is in the reserve or held, and the reserve is within the new minNr.")
@Outcome(id = {"0, 0", "1, 0", "2, 0"}, expect = FORBIDDEN, desc = "An object was lost or counted twice.")
@Outcome(id = "2, 1", expect = FORBIDDEN, desc = "The reserve holds more than the new minNr.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MempoolResizeRaceTest {
  private final CountingAllocator backing = new CountingAllocator("resize-backing", 4);
  private final Mempool pool = Mempool.builder("resize", backing).minNr(2).build();
  private final long held = pool.allocate();
  private long got;

  @Actor
  public void resizer() {
    pool.resize(1);
  }

  @Actor
  public void user() {
    pool.free(held);
    got = pool.tryAllocate();
  }

  @Arbiter
  public void arbiter(II_Result r) {
    int level = pool.reserveLevel();
    r.r1 = level;
    r.r2 = backing.live() == level + (got != 0 ? 1 : 0) ? 1 : 0;
  }
}
