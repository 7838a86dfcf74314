package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.mempool.Mempool;
import org.junit.jupiter.api.Test;

/**
 * The tree keeps the few states an operation did not use (or freed) for the next one, so steady lock/unlock
 * and set/clear cycles make no mempool calls, and close returns the kept states too.
 */
class ExtentTreeStashTest {

  @Test
  void steadyLockUnlockMakesNoAllocatorCalls() {
    TestAllocator a = TreeFixture.allocator("stash", 64);
    try (ExtentTree tree = TreeFixture.tree(a)) {
      tree.set(0, 4095, ExtentBits.DIRTY);
      for (int i = 0; i < 10; i++) { // warm the stash
        tree.lock(100, 199);
        tree.unlock(100, 199);
      }
      long before = a.statistics().allocations();
      for (int i = 0; i < 1000; i++) {
        tree.lock(100, 199);
        tree.unlock(100, 199);
        tree.set(5000, 5999, ExtentBits.DELALLOC);
        tree.clear(5000, 5999, ExtentBits.DELALLOC);
      }
      assertEquals(before, a.statistics().allocations(), "the stash must feed steady operations");
      assertTrue(a.live() >= tree.stateCount(), "the tree's states and its stash are allocated");
    }
    assertEquals(0, a.live(), "close must return the stashed states as well as the tree's");
  }

  @Test
  void stashedStatesComeBackThroughAMempool() {
    try (ExtentTree tree = ExtentTree.builder("stash-pool").reserve(8).build()) {
      Mempool pool = tree.mempool();
      for (int i = 0; i < 100; i++) {
        tree.lock(i * 10L, i * 10L + 9);
      }
      for (int i = 0; i < 100; i++) {
        tree.unlock(i * 10L, i * 10L + 9);
      }
      assertTrue(pool != null);
      assertEquals(0, tree.stateCount());
      assertTrue(pool.mempoolStatistics().liveObjects() <= 4, "at most the stash is held when the tree is empty");
    }
  }
}
