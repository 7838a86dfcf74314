package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Claim: an optimistic reader of a B+tree never observes a half-split leaf. The tree holds 49 DEFRAG states
 * [10 i, 10 i + 4], exactly one full leaf. The writer sets DIRTY on the hole [246, 247], which splits the
 * leaf in two, moves the states from 250 on to a new leaf and makes a new root. The reader, without the
 * tree lock, reads the bits at 246 (the new state), at 300 and at 480 (states the split moves), and counts
 * the DEFRAG bytes of the whole tree (245). Result: (DIRTY at 246, DEFRAG at 300, DEFRAG at 480, the count
 * is 245), each 1 or 0.
 */
@JCStressTest
@Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE, desc = "The reader saw the tree before the split.")
@Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "The reader saw the tree after the split.")
@Outcome(expect = FORBIDDEN, desc = "A torn read: a moved state missing, or a half-split leaf.")
@State
public class ExtentOptimisticSplitTest {
  static final int STATES = 49;
  private static final Recycler<ExtentTree> POOL =
      new Recycler<>(() -> ExtentTree.builder("optimistic-split").bTree().build());

  private final ExtentTree tree = POOL.take();

  public ExtentOptimisticSplitTest() {
    for (int i = 0; i < STATES; i++) {
      tree.set(10L * i, 10L * i + 4, DEFRAG);
    }
  }

  @Actor
  public void writer() {
    tree.set(246, 247, DIRTY);
  }

  @Actor
  public void reader(IIII_Result r) {
    r.r1 = tree.bitsAt(246) == DIRTY ? 1 : 0;
    r.r2 = tree.bitsAt(300) == DEFRAG ? 1 : 0;
    r.r3 = tree.bitsAt(480) == DEFRAG ? 1 : 0;
    r.r4 = tree.countBytes(0, Long.MAX_VALUE, -1, DEFRAG, false) == 5L * STATES ? 1 : 0;
  }

  @Arbiter
  public void arbiter() {
    tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
