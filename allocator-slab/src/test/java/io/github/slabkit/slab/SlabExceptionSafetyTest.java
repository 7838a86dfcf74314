package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, items 1 to 3: an exception thrown while the cache works (an object constructor, a debug report)
 * loses no budget charge, no native memory and no object.
 */
class SlabExceptionSafetyTest {
  private static final int PER_SLAB = 16;
  private static final long SLAB = 64L * PER_SLAB;

  /** A constructor that records every object it sees and throws from the {@code failAt}-th call on (1-based). */
  private static final class FailingConstructor implements ObjectConstructor {
    final List<MemorySegment> seen = new ArrayList<>();
    final int failAt;

    FailingConstructor(int failAt) {
      this.failAt = failAt;
    }

    @Override
    public void construct(MemorySegment object) {
      seen.add(object);
      if (seen.size() >= failAt) {
        throw new IllegalStateException("constructor failed on purpose");
      }
    }
  }

  private static SlabCache cache(String name, MemoryBudget budget, ObjectConstructor ctor) {
    return SlabCache.builder(name)
        .objectSize(64)
        .objectsPerSlab(PER_SLAB)
        .magazineSize(4)
        .budget(budget)
        .constructor(ctor)
        .throwOnLeak(true)
        .build();
  }

  @Test
  void constructorThrowingWhileASlabGrowsReleasesTheChargeAndTheMemory() {
    MemoryBudget budget = MemoryBudget.ofBytes("ctor-grow", 4 * SLAB);
    FailingConstructor ctor = new FailingConstructor(3);
    try (SlabCache c = cache("ctor-grow", budget, ctor)) {
      assertThrows(IllegalStateException.class, c::allocate);
      assertEquals(0, budget.used(), "the charge of the slab that failed to construct must be credited");
      assertFalse(ctor.seen.get(0).scope().isAlive(), "the failed slab's native memory must be freed");
      assertEquals(0, c.slabStatistics().totalSlabs());
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void bulkAllocationIsAllOrNothingWhenGrowthThrows() {
    MemoryBudget budget = MemoryBudget.ofBytes("bulk-grow", 4 * SLAB);
    // the first slab constructs; the second one's third object throws
    FailingConstructor ctor = new FailingConstructor(PER_SLAB + 3);
    SlabCache c = cache("bulk-grow", budget, ctor);
    long h = c.allocate(); // the first slab: 1 handed out, 3 in this thread's magazine, 12 in the slab
    long[] dst = new long[PER_SLAB + 4];
    assertThrows(IllegalStateException.class, () -> c.allocateBulk(dst, dst.length));
    assertEquals(1, c.slabStatistics().activeObjects(), "the failed bulk call must hold nothing");
    assertEquals(SLAB, budget.used(), "only the first slab is charged");
    assertThrows(IllegalStateException.class, () -> c.tryAllocateBulk(dst, dst.length));
    assertEquals(1, c.slabStatistics().activeObjects());
    c.free(h);
    assertEquals("", c.leakReport());
    assertDoesNotThrow(c::close, "every object must be back: close() finds no leak");
    assertEquals(0, c.leakedObjects());
    assertEquals(0, budget.used());
  }

  @Test
  void aMagazineRefillThatGrowsAndThrowsLosesNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("refill-grow", 4 * SLAB);
    FailingConstructor ctor = new FailingConstructor(PER_SLAB + 1);
    SlabCache c = cache("refill-grow", budget, ctor);
    long[] all = new long[PER_SLAB];
    c.allocateBulk(all, PER_SLAB); // the first slab, all handed out
    assertThrows(IllegalStateException.class, c::allocate);
    assertEquals(PER_SLAB, c.slabStatistics().activeObjects());
    assertEquals(SLAB, budget.used());
    c.freeBulk(all, PER_SLAB);
    assertDoesNotThrow(c::close);
    assertEquals(0, budget.used());
  }

  @Test
  void aDebugReportThrownDuringAllocationLosesNoObject() {
    SlabCache c =
        SlabCache.builder("report-on-alloc")
            .objectSize(32)
            .objectsPerSlab(4)
            .debug(SlabDebug.of("P").throwOnReport(true))
            .throwOnLeak(true)
            .build();
    long h = c.allocate();
    MemorySegment m = c.memory(h);
    long off = c.offset(h);
    c.free(h);
    m.set(ValueLayout.JAVA_LONG, off, 42L); // write after free: the poison is gone
    assertThrows(SlabCorruptionException.class, () -> drainUntil(c, h));
    assertEquals(0, c.slabStatistics().activeObjects(), "the reported object must not be lost");
    assertEquals("", c.leakReport());
    // the object was repaired and went back: it can be allocated again, without a second report
    long reports = c.debugReports();
    long[] all = new long[4];
    c.allocateBulk(all, 4);
    assertEquals(reports, c.debugReports());
    c.freeBulk(all, 4);
    assertDoesNotThrow(c::close, "close() must find every object back");
  }

  /** Allocates until {@code target} comes out (debug mode takes objects straight from the slab). */
  private static void drainUntil(SlabCache c, long target) {
    List<Long> held = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        long x = c.allocate();
        held.add(x);
        if (x == target) {
          break;
        }
      }
    } finally {
      for (long x : held) {
        c.free(x);
      }
    }
  }
}
