package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: an optimistic reader of a B+tree never observes a stale state in the root leaf that an emptied tree
 * keeps. The tree held one state, DIRTY [100, 199], and was cleared: its root leaf stays, with a count of 0
 * and the old state's bytes still in its first slot, and neither the root nor the structure version
 * changed. The writer locks [300, 399], which writes that slot and the count under the leaf's version
 * alone. The reader, without the tree lock, reads the bits at 150 (never set again) and at 350. Result:
 * (any bits at 150, LOCKED at 350), each 1 or 0.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader saw the empty tree.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader saw the lock.")
@Outcome(expect = FORBIDDEN, desc = "The reader saw the emptied leaf's old state, or a half-written one.")
@State
public class ExtentOptimisticEmptyRootTest {
  private static final Recycler<ExtentTree> POOL =
      new Recycler<>(() -> ExtentTree.builder("optimistic-empty-root").bTree().build());

  private final ExtentTree tree = POOL.take();

  public ExtentOptimisticEmptyRootTest() {
    tree.set(100, 199, DIRTY);
    tree.clear(100, 199, DIRTY);
  }

  @Actor
  public void writer() {
    tree.lock(300, 399);
  }

  @Actor
  public void reader(II_Result r) {
    r.r1 = tree.bitsAt(150) != 0 ? 1 : 0;
    r.r2 = tree.bitsAt(350) == LOCKED ? 1 : 0;
  }

  @Arbiter
  public void arbiter() {
    tree.unlock(300, 399);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
