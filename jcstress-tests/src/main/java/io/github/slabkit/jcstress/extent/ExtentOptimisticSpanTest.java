package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
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
 * Claim: an optimistic reader that validates each node it visits sees a writer's step in every node it
 * visits or in none, even when the step changes two leaves and no node's structure. The tree holds 60
 * adjacent states [10 i, 10 i + 9], DEFRAG for even i and DELALLOC for odd i (so they never merge): a full
 * leaf of 49 states and a leaf of 11. The writer sets DIRTY on [470, 529], six whole states, three in each
 * leaf: no split, no merge, no node freed, only the bits of two leaves change. The reader, without the tree
 * lock, reads whether 470 is DIRTY, then whether 520 is DIRTY, then counts the DIRTY bytes of the whole
 * tree (0 or 60), then tests that all of [470, 529] is DIRTY. Result: (count, all DIRTY, DIRTY at 470,
 * DIRTY at 520). The set happens once, so read in that order the answers never go from "set" back to
 * "not set", and the count is never a part of 60.
 */
@JCStressTest
@Outcome(id = "0, 0, 0, 0", expect = ACCEPTABLE, desc = "Every query saw the tree before the set.")
@Outcome(id = "0, 1, 0, 0", expect = ACCEPTABLE, desc = "The set landed before the last query.")
@Outcome(id = "60, 1, 0, 0", expect = ACCEPTABLE, desc = "The set landed before the count.")
@Outcome(id = "60, 1, 0, 1", expect = ACCEPTABLE, desc = "The set landed between the two point reads.")
@Outcome(id = "60, 1, 1, 1", expect = ACCEPTABLE, desc = "Every query saw the tree after the set.")
@Outcome(expect = FORBIDDEN, desc = "A torn read: one leaf seen before the set and the other after it.")
@State
public class ExtentOptimisticSpanTest {
  static final int STATES = 60;
  private static final Recycler<ExtentTree> POOL =
      new Recycler<>(() -> ExtentTree.builder("optimistic-span").bTree().build());

  private final ExtentTree tree = POOL.take();

  public ExtentOptimisticSpanTest() {
    for (int i = 0; i < STATES; i++) {
      tree.set(10L * i, 10L * i + 9, i % 2 == 0 ? DEFRAG : DELALLOC);
    }
  }

  @Actor
  public void writer() {
    tree.set(470, 529, DIRTY);
  }

  @Actor
  public void reader(IIII_Result r) {
    r.r3 = tree.bitsAt(470) == (DEFRAG | DIRTY) ? 1 : 0;
    r.r4 = tree.bitsAt(520) == (DEFRAG | DIRTY) ? 1 : 0;
    r.r1 = (int) tree.countBytes(0, Long.MAX_VALUE, -1, DIRTY, false);
    r.r2 = tree.rangeHasAll(470, 529, DIRTY) ? 1 : 0;
  }

  @Arbiter
  public void arbiter() {
    tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
