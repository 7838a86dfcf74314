package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabDebug;
import org.junit.jupiter.api.Test;

/**
 * A mempool over a slab cache in debug mode: the debug cache does not mark stashed objects (see {@link
 * SlabCache#stash}), so the pool must refuse a second free into its reserve itself. Otherwise the object sits
 * in the reserve twice and two callers get it.
 */
class MempoolOverDebugSlabTest {
  @Test
  void aSecondFreeIntoTheReserveIsRefusedAndNoObjectIsHandedOutTwice() {
    // One slab of 4 objects, all in the reserve: every allocation comes from the reserve.
    MemoryBudget budget = MemoryBudget.ofBytes("debug-backing", 2 * 4 * 64); // one slab (red zones widen objects), not two
    try (SlabCache slab =
        SlabCache.builder("debug-backing").objectSize(64).objectsPerSlab(4).budget(budget)
            .debug(SlabDebug.of("FZPU")).build()) {
      Mempool pool = Mempool.builder("over-debug", slab).minNr(4).build();
      long a = pool.allocate();
      long b = pool.allocate();
      assertEquals(2, pool.reserveLevel());
      pool.free(a);
      assertThrows(InvalidHandleException.class, () -> pool.free(a), "a second free of one object");
      assertEquals(3, pool.reserveLevel(), "a refused free changes nothing");
      long x = pool.allocate();
      long y = pool.allocate();
      assertNotEquals(x, y, "one object handed out twice");
      pool.free(x);
      pool.free(y);
      pool.free(b);
      pool.close();
    }
  }
}
