package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ExtentTreeRulesTest} on a B+tree of tiny nodes (4 states per leaf, 4 children). */
class BTreeRulesTest extends ExtentTreeRulesTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }

  /**
   * The B+tree allocates nodes, not states: a set over 50 holes adds 50 states and takes only the nodes
   * its leaf splits need, and operations that add no state take none.
   */
  @Override
  @Test
  void setAcrossManyHolesAllocatesAStatePerHoleAndStaysCorrect() {
    try (ExtentTree tree = builder("holes").build()) {
      for (int i = 0; i < 50; i++) {
        tree.set(i * 10L, i * 10L + 4, DEFRAG);
      }
      long before = used(tree);
      tree.set(0, 499, DIRTY);
      long used = used(tree) - before;
      assertTrue(used > 0 && used < 50, "50 new states in leaves of 4 take some nodes, not one each: " + used);
      List<Extent> expected = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        expected.add(new Extent(i * 10L, i * 10L + 4, DIRTY | DEFRAG));
        expected.add(new Extent(i * 10L + 5, i * 10L + 9, DIRTY));
      }
      assertEquals(expected, tree.states());
      tree.verify();
      long steady = tree.statistics().poolAllocations();
      tree.set(0, 499, DIRTY); // no change
      tree.clear(0, 499, DEFRAG); // whole states: removes and merges, never inserts
      tree.set(0, 499, DEFRAG); // whole state
      assertEquals(steady, tree.statistics().poolAllocations(), "no new state, no allocation");
      assertEquals(List.of(new Extent(0, 499, DIRTY | DEFRAG)), tree.states());
      tree.verify();
    }
  }

  private static long used(ExtentTree tree) {
    return tree.statistics().poolAllocations() - tree.statistics().spareStates();
  }
}
