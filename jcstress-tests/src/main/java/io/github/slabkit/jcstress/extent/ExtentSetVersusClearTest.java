package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
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
 * Claim: a {@code set} racing a {@code clear} on overlapping ranges ends in one of the two serial outcomes.
 *
 * <p>The tree starts with DELALLOC on [50, 149]. Actor 1 sets DIRTY on [0, 99]; actor 2 clears DIRTY and
 * DELALLOC on [50, 149]. Set then clear leaves DIRTY on [0, 49] (one state); clear then set leaves DIRTY on
 * [0, 99] (one state). Result: (bits at 25, bits at 75, bits at 125, states).
 */
@JCStressTest
@Description("A set racing a clear on overlapping ranges ends in one of the two serial outcomes.")
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "Serial outcome: the set, then the clear.")
@Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "Serial outcome: the clear, then the set.")
@Outcome(expect = FORBIDDEN, desc = "An outcome no serial order produces.")
@State
public class ExtentSetVersusClearTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("set-clear"));

  private final ExtentTree tree = POOL.take();

  public ExtentSetVersusClearTest() {
    tree.set(50, 149, DELALLOC);
  }

  @Actor
  public void set() {
    tree.set(0, 99, DIRTY);
  }

  @Actor
  public void clear() {
    tree.clear(50, 149, DIRTY | DELALLOC);
  }

  @Arbiter
  public void arbiter(IIII_Result r) {
    r.r1 = tree.bitsAt(25);
    r.r2 = tree.bitsAt(75);
    r.r3 = tree.bitsAt(125);
    r.r4 = (int) tree.stateCount();
    tree.clear(0, 149, DIRTY | DELALLOC);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
