package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link SlabLocal}'s bulk calls: all or nothing across the thread's magazines, the depot and the slabs,
 * distinct handles, a bad handle in a batch, the owner check, and debug mode.
 */
class SlabLocalBulkTest {
  private static final int PER_SLAB = 16;

  private static SlabCache cache(String name, MemoryBudget budget, boolean debug) {
    SlabCacheBuilder b =
        SlabCache.builder(name)
            .objectSize(64)
            .objectsPerSlab(PER_SLAB)
            .magazineSize(8)
            .budget(budget)
            .maxWait(Duration.ofMillis(20))
            .throwOnLeak(true);
    if (debug) {
      b.debug(SlabDebug.of("FZPU"));
    }
    return b.build();
  }

  @Test
  void aBulkSpanningMagazinesDepotAndSlabsHandsOutDistinctLiveObjects() {
    for (boolean debug : new boolean[] {false, true}) {
      MemoryBudget budget = MemoryBudget.unlimited("bulk-" + debug);
      try (SlabCache c = cache("local-bulk-" + debug, budget, debug); SlabLocal local = c.local()) {
        long[] warm = new long[20]; // leave some objects in this thread's magazines
        local.allocateBulk(warm, 20);
        local.freeBulk(warm, 20);
        long[] dst = new long[100];
        local.allocateBulk(dst, 100);
        Set<Long> seen = new HashSet<>();
        for (long h : dst) {
          assertTrue(seen.add(h), "handed out twice");
          c.checkHandle(h);
        }
        assertEquals(100, c.slabStatistics().activeObjects());
        assertTrue(local.tryAllocateBulk(dst, 0), "n = 0 succeeds");
        local.freeBulk(dst, 100);
        assertEquals(0, c.slabStatistics().activeObjects());
        InvalidHandleException df = assertThrows(InvalidHandleException.class, () -> local.free(dst[7]));
        assertTrue(df.getMessage().contains("double free"), df.getMessage());
      }
    }
  }

  @Test
  void anExhaustedBudgetFailsTheWholeBulkAndHoldsNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("bulk-two-slabs", 2L * 64 * PER_SLAB);
    try (SlabCache c = cache("local-bulk-budget", budget, false); SlabLocal local = c.local()) {
      long[] dst = new long[2 * PER_SLAB + 1];
      assertFalse(local.tryAllocateBulk(dst, dst.length), "one object more than the budget holds");
      assertEquals(0, c.slabStatistics().activeObjects(), "nothing is held after a failed bulk");
      AllocationFailedException e =
          assertThrows(AllocationFailedException.class, () -> local.allocateBulk(dst, dst.length));
      assertTrue(e.getMessage().contains("in bulk"), e.getMessage());
      assertEquals(0, c.slabStatistics().activeObjects(), "nothing is held after a failed blocking bulk");
      assertTrue(local.tryAllocateBulk(dst, 2 * PER_SLAB), "what the budget holds can still be had");
      local.freeBulk(dst, 2 * PER_SLAB);
    }
  }

  @Test
  void aBadHandleInABulkFreeFreesThePrefixOnly() {
    try (SlabCache c = cache("local-bulk-bad", MemoryBudget.unlimited("bulk-bad"), false);
        SlabLocal local = c.local()) {
      long[] hs = new long[5];
      local.allocateBulk(hs, 5);
      long[] src = {hs[0], hs[1], 0, hs[2], hs[3]};
      assertThrows(InvalidHandleException.class, () -> local.freeBulk(src, 5));
      assertEquals(3, c.slabStatistics().activeObjects(), "two freed, three still live");
      long[] rest = {hs[2], hs[3], hs[4]};
      local.freeBulk(rest, 3);
      assertThrows(IllegalArgumentException.class, () -> local.freeBulk(rest, 4));
      assertThrows(IllegalArgumentException.class, () -> local.allocateBulk(rest, -1));
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void bulkCallsFromAnotherThreadAreRefused() throws InterruptedException {
    try (SlabCache c = cache("local-bulk-thread", MemoryBudget.unlimited("bulk-thread"), false);
        SlabLocal local = c.local()) {
      long[] dst = new long[4];
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      local.allocateBulk(dst, 4);
                    } catch (Throwable x) {
                      thrown.set(x);
                    }
                  });
      t.join();
      assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
      assertTrue(thrown.get().getMessage().contains("allocateBulk() on the SlabLocal of thread"));
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }
}
