package io.github.slabkit.jcstress.extent;

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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: range locks on disjoint (even adjacent) ranges can both be held at once.
 *
 * <p>Both threads {@code tryLock} adjacent ranges ([0, 99] and [100, 199]); neither may fail. The arbiter
 * checks that both are locked as two separate states (lock bits never merge), then unlocks them.
 */
@JCStressTest
@Description("Range locks on disjoint (even adjacent) ranges can both be held at once.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Both disjoint ranges were locked at once.")
@Outcome(id = {"0, 1, 0", "1, 0, 0", "0, 0, 0"}, expect = FORBIDDEN, desc = "A try-lock of a range disjoint from the other failed.")
@Outcome(expect = FORBIDDEN, desc = "The tree does not show both ranges locked, or a harness bug.")
@State
public class ExtentDisjointLocksTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("disjoint"));

  private final ExtentTree tree = POOL.take();

  @Actor
  public void actor1(III_Result r) {
    r.r1 = tree.tryLock(0, 99) ? 1 : 0;
  }

  @Actor
  public void actor2(III_Result r) {
    r.r2 = tree.tryLock(100, 199) ? 1 : 0;
  }

  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = r.r1 == 1 && r.r2 == 1 && tree.stateCount() == 2 && tree.rangeHasAll(0, 199, io.github.slabkit.extent.ExtentBits.LOCKED) ? 1 : 0;
    if (r.r1 == 1) {
      tree.unlock(0, 99);
    }
    if (r.r2 == 1) {
      tree.unlock(100, 199);
    }
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
