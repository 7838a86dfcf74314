package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.mempool.Mempool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Memory follows the number of states, not their history: a B+tree of default nodes keeps at most 32 bytes
 * of node memory per state (on average at least 32 states in each 1,024-byte node) after its states were
 * set in offset order and after random churn (a full leaf hands states to a sibling before it splits;
 * leaves that removals leave sparse merge).
 */
class BTreeMemoryTest {
  private static final int RANGES = 20_000;
  private static final long SLOT = 1L << 20;

  @Test
  void nodesStayFullUnderRandomChurn() {
    try (ExtentTree tree = ExtentTree.builder("churn").bTree().build()) {
      boolean[] occupied = new boolean[2 * RANGES];
      for (int i = 0; i < occupied.length; i += 2) {
        occupied[i] = true;
        tree.set(start(i), start(i) + 99, DIRTY);
      }
      assertTrue(bytesPerState(tree) <= 32, "after the ordered fill: " + bytesPerState(tree) + " B/state");
      SplittableRandom rnd = new SplittableRandom(42);
      for (int round = 1; round <= 3; round++) {
        for (int k = 0; k < RANGES; k++) {
          int a = pick(rnd, occupied, false);
          occupied[a] = true;
          tree.set(start(a), start(a) + 99, DIRTY);
          int b = pick(rnd, occupied, true);
          occupied[b] = false;
          tree.clear(start(b), start(b) + 99, DIRTY);
        }
        assertEquals(RANGES, tree.stateCount());
        tree.verify();
        double perState = bytesPerState(tree);
        assertTrue(perState <= 32, "after " + round + " x " + RANGES + " random set+clear: " + perState + " B/state");
      }
      tree.clear(0, Long.MAX_VALUE, DIRTY);
    }
  }

  /**
   * An emptied tree keeps its root leaf, so lock+unlock in an empty tree takes no node, from the pool or
   * from the spares, and frees none: the spares and the live objects stay the same while the range is locked.
   */
  @Test
  void lockUnlockInAnEmptyTreeTakesNoNode() {
    try (ExtentTree tree = ExtentTree.builder("empty").bTree().build()) {
      tree.set(100, 199, DIRTY);
      tree.clear(100, 199, DIRTY); // the tree is empty again, and has had a root leaf
      Mempool pool = tree.mempool();
      assertTrue(pool != null);
      long live = pool.mempoolStatistics().liveObjects();
      int spares = tree.statistics().spareStates();
      long fromPool = tree.statistics().poolAllocations();
      for (int i = 0; i < 100; i++) {
        tree.lock(1000L * i, 1000L * i + 511);
        assertEquals(spares, tree.statistics().spareStates(), "the lock took no spare node");
        assertEquals(live, pool.mempoolStatistics().liveObjects(), "the lock took no node from the pool");
        tree.unlock(1000L * i, 1000L * i + 511);
        assertEquals(spares, tree.statistics().spareStates(), "the unlock freed no node into the spares");
        assertEquals(live, pool.mempoolStatistics().liveObjects(), "the unlock freed no node");
      }
      assertEquals(fromPool, tree.statistics().poolAllocations());
      assertEquals(0, tree.stateCount());
      tree.verify();
    }
  }

  private static int pick(SplittableRandom rnd, boolean[] occupied, boolean want) {
    while (true) {
      int i = rnd.nextInt(occupied.length);
      if (occupied[i] == want) {
        return i;
      }
    }
  }

  private static long start(int slot) {
    return slot * SLOT + 17 * (slot % 1000);
  }

  private static double bytesPerState(ExtentTree tree) {
    Mempool pool = tree.mempool();
    assertTrue(pool != null);
    long nodes = pool.mempoolStatistics().liveObjects() - tree.statistics().spareStates();
    return (double) nodes * ExtentTreeBuilder.NODE_SIZE / tree.stateCount();
  }
}
