package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ranges that end at {@link Long#MAX_VALUE}, the largest offset the API accepts: a split or merge at
 * {@code end + 1} must not overflow into a negative offset.
 */
class ExtentTreeEdgeOffsetsTest {
  private static final long MAX = Long.MAX_VALUE;

  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  @Test
  void statesEndingAtTheLastOffsetSplitMergeLockAndCount() {
    try (ExtentTree t = builder("edge").build()) {
      t.set(MAX - 10, MAX, DIRTY);
      t.set(MAX, MAX, DEFRAG); // splits [MAX-10, MAX] at MAX
      t.verify();
      assertEquals(List.of(new Extent(MAX - 10, MAX - 1, DIRTY), new Extent(MAX, MAX, DIRTY | DEFRAG)), t.states());
      t.clear(MAX, MAX, DEFRAG); // merges back
      t.verify();
      assertEquals(List.of(new Extent(MAX - 10, MAX, DIRTY)), t.states());
      assertEquals(11, t.countBytes(0, MAX, -1, DIRTY, false));
      assertTrue(t.rangeHasAll(MAX - 10, MAX, DIRTY));
      t.lock(MAX - 3, MAX);
      assertTrue(t.rangeHasAll(MAX - 3, MAX, LOCKED));
      assertFalse(t.tryLock(MAX, MAX));
      t.unlock(MAX - 3, MAX);
      t.verify();
      RangeResult r = new RangeResult();
      assertTrue(t.findFirstClear(MAX - 20, DIRTY, r));
      assertEquals(0, r.start(), "the maximal clear run: the hole from 0");
      assertEquals(MAX - 11, r.end());
      assertFalse(t.findFirstClear(MAX - 5, DIRTY, r), "every byte to the last has DIRTY");
      assertTrue(t.findContiguous(MAX - 10, DIRTY, r));
      assertEquals(MAX, r.end());
      t.set(0, MAX - 11, DIRTY); // merges into one state [0, MAX]
      t.verify();
      assertEquals(1, t.stateCount());
      t.clear(0, MAX, ExtentBits.CLEAR_ALL_BITS);
      assertTrue(t.isEmpty());
    }
  }

  /** A bad slab size reaches the slab builder's check instead of being taken for "unset". */
  @Test
  void badSlabSizesAreRefused() {
    for (long bytes : new long[] {0, -1, -4096}) {
      org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class, () -> builder("bad-slab").slabSize(bytes).build().close(), "slabSize " + bytes);
    }
  }

  /**
   * A visitor that throws ends the visit with its exception, and the tree is left unlocked and usable, on
   * this thread and on another (the tree lock and the thread's visit mark are given back).
   */
  @Test
  void aThrowingVisitorLeavesTheTreeUsable() throws Exception {
    try (ExtentTree t = builder("throwing-visitor").build()) {
      for (int i = 0; i < 20; i++) {
        t.set(10L * i, 10L * i + 4, DIRTY);
      }
      org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class, () -> t.forEach(0, 1000, (s, e, b) -> {
        throw new ArithmeticException("visitor failed on purpose");
      }));
      t.set(500, 600, DEFRAG);
      assertEquals(DIRTY, t.bitsAt(0));
      Thread other = Thread.ofPlatform().start(() -> {
        t.lock(0, 1000);
        t.unlock(0, 1000);
      });
      other.join(5_000);
      assertFalse(other.isAlive(), "the tree lock was not given back");
      t.verify();
      t.clear(0, MAX, ExtentBits.CLEAR_ALL_BITS);
    }
  }
}
