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
 * Claim: range locks on overlapping ranges are mutually exclusive, and {@code unlock} publishes the
 * critical section to the next holder.
 *
 * <p>Both threads {@code lock} an overlapping range ([0, 99] and [50, 149]), read a plain counter, write it
 * back incremented, and unlock. Each reports the value it read; the arbiter reports the final value.
 */
@JCStressTest
@Description(
    "Range locks on overlapping ranges are mutually exclusive, and unlock publishes the critical "
        + "section to the next holder.")
@Outcome(id = {"0, 1, 2", "1, 0, 2"}, expect = ACCEPTABLE, desc = "The critical sections ran one after the other.")
@Outcome(id = {"0, 0, 1", "0, 0, 2"}, expect = FORBIDDEN, desc = "Both threads were inside their overlapping ranges at once (an update was lost).")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class ExtentOverlappingLocksTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("overlap"));

  private final ExtentTree tree = POOL.take();
  private int counter;

  @Actor
  public void actor1(III_Result r) {
    tree.lock(0, 99);
    int v = counter;
    counter = v + 1;
    tree.unlock(0, 99);
    r.r1 = v;
  }

  @Actor
  public void actor2(III_Result r) {
    tree.lock(50, 149);
    int v = counter;
    counter = v + 1;
    tree.unlock(50, 149);
    r.r2 = v;
  }

  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = counter;
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
