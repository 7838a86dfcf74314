package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Budgets: GFP_NOWAIT never reclaims, blocking allocation reclaims other caches, failures explain. */
class SlabBudgetTest {

  private static final int PER_SLAB = 16;
  private static final long SLAB = 64L * PER_SLAB;

  private static SlabCache cache(String name, MemoryBudget budget) {
    return SlabCache.builder(name)
        .objectSize(64)
        .objectsPerSlab(PER_SLAB)
        .magazineSize(4)
        .maxEmptySlabs(4)
        .budget(budget)
        .maxWait(Duration.ofMillis(20))
        .build();
  }

  @Test
  void tryAllocateReturnsZeroWhenTheBudgetIsExhaustedAndCallsNoShrinker() {
    MemoryBudget budget = MemoryBudget.ofBytes("two-slabs", 2 * SLAB);
    AtomicInteger shrinkerCalls = new AtomicInteger();
    try (SlabCache cache = cache("nowait", budget);
        MemoryBudget.Registration spy =
            budget.register(
                wanted -> {
                  shrinkerCalls.incrementAndGet();
                  return 0;
                })) {
      long[] hs = new long[2 * PER_SLAB];
      for (int i = 0; i < hs.length; i++) {
        hs[i] = cache.tryAllocate();
        assertNotEquals(0, hs[i], "the budget has room for two slabs");
      }
      assertEquals(0, cache.tryAllocate(), "a third slab does not fit: tryAllocate must return 0");
      assertEquals(0, shrinkerCalls.get(), "tryAllocate must never reclaim");
      assertEquals(2 * SLAB, budget.used());
      assertTrue(cache.slabStatistics().failures() >= 1);
      cache.freeBulk(hs, hs.length);
      assertEquals(2, budget.shrinkerCount(), "the cache and the spy are registered");
    }
  }

  @Test
  void allocateReclaimsEmptySlabsOfAnotherCacheSharingTheBudget() {
    MemoryBudget budget = MemoryBudget.ofBytes("shared", 2 * SLAB);
    try (SlabCache a = cache("a", budget);
        SlabCache b = cache("b", budget)) {
      long[] hs = new long[2 * PER_SLAB];
      a.allocateBulk(hs, hs.length);
      a.freeBulk(hs, hs.length); // a now holds two empty slabs' worth of free objects
      assertEquals(2 * SLAB, budget.used());
      assertEquals(0, b.tryAllocate(), "no room without reclaim");
      long h = b.allocate(); // must ask a to shrink
      assertNotEquals(0, h);
      assertTrue(a.slabStatistics().totalSlabs() < 2, "a must have released a slab");
      assertTrue(budget.used() <= 2 * SLAB);
      b.free(h);
    }
  }

  /**
   * A timed allocation finds the budget exhausted by another cache's live objects (nothing to reclaim) and
   * waits; a second thread, which sees it waiting, frees those objects and shrinks, and the credit must
   * release the waiter. Watchdogs turn a lost wake-up into a failure instead of a hang.
   */
  @Test
  void timedAllocateWaitsForCreditFromAnotherThread() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache a = cache("holder", budget);
        SlabCache b = cache("waiter", budget)) {
      long[] hs = new long[PER_SLAB];
      a.allocateBulk(hs, hs.length);
      java.util.concurrent.atomic.AtomicLong got = new java.util.concurrent.atomic.AtomicLong(-1);
      Thread waiter =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      got.set(b.tryAllocate(60, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });
      Thread creditor =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      SlabLifecycleTest.awaitCondition(
                          "the timed allocation to wait for credit", () -> budget.waitingThreads() == 1);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return;
                    }
                    a.freeBulk(hs, hs.length);
                    a.shrink(); // the credit the waiter needs, given while it waits
                  });
      creditor.join(60_000);
      waiter.join(60_000);
      assertTrue(!creditor.isAlive() && !waiter.isAlive(), "watchdog: no progress in 60 s");
      assertEquals(0, a.slabStatistics().totalSlabs(), "the credit came from the holder's shrink");
      assertNotEquals(-1, got.get(), "the waiter was interrupted");
      assertNotEquals(0, got.get(), "the waiter timed out although credit arrived while it waited");
      b.free(got.get());
    }
  }

  @Test
  void allocationFailedExceptionSaysWhatAndWhy() {
    MemoryBudget budget = MemoryBudget.ofBytes("tiny", SLAB);
    try (SlabCache cache = cache("states", budget)) {
      long[] hs = new long[PER_SLAB];
      cache.allocateBulk(hs, hs.length);
      AllocationFailedException e = assertThrows(AllocationFailedException.class, cache::allocate);
      String m = e.getMessage();
      assertTrue(m.contains("states"), m);
      assertTrue(m.contains("tiny"), m);
      assertTrue(m.contains(String.valueOf(SLAB)), "limit and usage must be named: " + m);
      assertTrue(m.contains("raise"), "the message must say what to change: " + m);
      assertEquals("states", e.allocatorName());
      assertEquals(SLAB, e.limitBytes());
      assertEquals(SLAB, e.usedBytes());
      long[] more = new long[PER_SLAB + 1];
      cache.freeBulk(hs, hs.length);
      assertThrows(AllocationFailedException.class, () -> cache.allocateBulk(more, more.length));
      assertEquals(0, cache.slabStatistics().activeObjects(), "a failed bulk allocation holds nothing");
      assertTrue(cache.tryPrefill(PER_SLAB + 1) == null);
    }
  }

  @Test
  void shrinkCreditsTheBudget() {
    MemoryBudget budget = MemoryBudget.ofBytes("b", 8 * SLAB);
    try (SlabCache cache = cache("s", budget)) {
      long[] hs = new long[4 * PER_SLAB];
      cache.allocateBulk(hs, hs.length);
      assertEquals(4 * SLAB, budget.used());
      cache.freeBulk(hs, hs.length);
      long released = cache.shrink();
      assertEquals(4 * SLAB, released);
      assertEquals(0, budget.used());
    }
  }

  @Test
  void closeUnregistersFromTheBudget() {
    MemoryBudget budget = MemoryBudget.ofBytes("reg", 4 * SLAB);
    SlabCache cache = cache("r", budget);
    assertEquals(1, budget.shrinkerCount());
    cache.close();
    assertEquals(0, budget.shrinkerCount());
    assertEquals(0, budget.used());
  }
}
