package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: an optimistic reader of a B+tree never observes a half-merged leaf or a freed node's contents as
 * the tree. The tree holds 60 DEFRAG states [10 i, 10 i + 4]: a full leaf of 49 and a leaf of 11. The
 * writer clears [0, 399], removing 40 states; the first leaf, left with 9, takes in its sibling's 11 states
 * and the sibling is freed (and the root with it). The reader, without the tree lock, reads the bits at 50
 * (a removed state) and at 550 (a state the merge moves), and counts the DEFRAG bytes, three queries in
 * this order. Result: (DEFRAG at 50, DEFRAG at 550, the count). Each query sees the whole clear or none of
 * it, and a later query never sees less than an earlier one did.
 */
@JCStressTest
@Outcome(id = "1, 1, 300", expect = ACCEPTABLE, desc = "The reader saw the tree before the clear.")
@Outcome(id = "0, 1, 100", expect = ACCEPTABLE, desc = "The reader saw the tree after the clear and the merge.")
@Outcome(id = "1, 1, 100", expect = ACCEPTABLE, desc = "The clear landed between the reader's first and last query.")
@Outcome(expect = FORBIDDEN, desc = "A torn read: a moved state missing, or a half-merged tree.")
@State
public class ExtentOptimisticMergeTest {
  private static final Recycler<ExtentTree> POOL =
      new Recycler<>(() -> ExtentTree.builder("optimistic-merge").bTree().build());

  private final ExtentTree tree = POOL.take();

  public ExtentOptimisticMergeTest() {
    for (int i = 0; i < 60; i++) {
      tree.set(10L * i, 10L * i + 4, DEFRAG);
    }
  }

  @Actor
  public void writer() {
    tree.clear(0, 399, DEFRAG);
  }

  @Actor
  public void reader(III_Result r) {
    r.r1 = tree.bitsAt(50) == DEFRAG ? 1 : 0;
    r.r2 = tree.bitsAt(550) == DEFRAG ? 1 : 0;
    r.r3 = (int) tree.countBytes(0, Long.MAX_VALUE, -1, DEFRAG, false);
  }

  @Arbiter
  public void arbiter() {
    tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
