package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.NEW;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Claim: concurrent {@code set}s of different bits on overlapping ranges lose no bit, whichever splits the
 * other's state.
 *
 * <p>Actor 1 sets DIRTY on [0, 99], actor 2 sets NEW on [50, 149]. Afterwards [0, 49] has DIRTY, [50, 99]
 * DIRTY and NEW, [100, 149] NEW: three states. Result: (bits at 25, bits at 75, bits at 125, states).
 */
@JCStressTest
@Description(
    "Concurrent sets of different bits on overlapping ranges lose no bit, whichever splits the "
        + "other's state.")
@Outcome(id = "1, 9, 8, 3", expect = ACCEPTABLE, desc = "Every byte has every bit set on it, in three states.")
@Outcome(expect = FORBIDDEN, desc = "A bit was lost, or the states do not match the bits.")
@State
public class ExtentSetDifferentBitsTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("set-bits"));

  private final ExtentTree tree = POOL.take();

  @Actor
  public void setDirty() {
    tree.set(0, 99, DIRTY);
  }

  @Actor
  public void setNew() {
    tree.set(50, 149, NEW);
  }

  @Arbiter
  public void arbiter(IIII_Result r) {
    r.r1 = tree.bitsAt(25);
    r.r2 = tree.bitsAt(75);
    r.r3 = tree.bitsAt(125);
    r.r4 = (int) tree.stateCount();
    tree.clear(0, 149, DIRTY | NEW);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
