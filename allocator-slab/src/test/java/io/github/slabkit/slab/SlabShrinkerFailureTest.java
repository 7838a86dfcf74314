package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A foreign shrinker on the shared budget that throws: the other shrinkers are still asked, and a blocking
 * allocation gets its memory or {@link AllocationFailedException} with the shrinker's exception attached as
 * suppressed, never the shrinker's exception itself (before: it propagated out of {@code allocate()}).
 */
class SlabShrinkerFailureTest {
  static final long SLAB = 8 * 64;

  private static SlabCache cache(String name, MemoryBudget budget) {
    return SlabCache.builder(name).objectSize(64).objectsPerSlab(8).budget(budget)
        .maxWait(Duration.ofMillis(20)).build();
  }

  /** Holds {@code bytes} of the budget and gives them back when asked to shrink. */
  static final class Hoarder {
    final AtomicInteger asked = new AtomicInteger();
    long held;

    Hoarder(MemoryBudget budget, long bytes) {
      assertTrue(budget.tryCharge(bytes));
      held = bytes;
      budget.register(
          wanted -> {
            asked.incrementAndGet();
            long h = held;
            held = 0;
            budget.credit(h);
            return h;
          });
    }
  }

  @Test
  void aThrowingShrinkerDoesNotStopTheOthersAndAllocateGetsTheMemory() {
    MemoryBudget budget = MemoryBudget.ofBytes("shrinker-throws", SLAB);
    IllegalStateException boom = new IllegalStateException("foreign shrinker is broken");
    AtomicInteger thrown = new AtomicInteger();
    try (MemoryBudget.Registration r =
        budget.register(
            wanted -> {
              thrown.incrementAndGet();
              throw boom;
            })) {
      Hoarder hoarder = new Hoarder(budget, SLAB); // registered after the thrower: asked second
      try (SlabCache c = cache("shrinker-throws", budget)) {
        long h = c.allocate();
        assertNotEquals(ObjectAllocator.NO_HANDLE, h);
        assertEquals(1, hoarder.asked.get(), "the shrinker after the throwing one was asked");
        assertTrue(thrown.get() >= 1);
        assertSame(boom, budget.lastShrinkerFailure());
        assertEquals(thrown.get(), budget.shrinkerFailures());
        c.free(h);
      }
    }
  }

  @Test
  void whenNothingCanBeReclaimedAllocateFailsWithTheShrinkersExceptionSuppressed() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("shrinker-throws-empty", SLAB);
    IllegalStateException boom = new IllegalStateException("foreign shrinker is broken");
    try (MemoryBudget.Registration r = budget.register(wanted -> { throw boom; });
        SlabCache c = cache("shrinker-throws-empty", budget)) {
      assertTrue(budget.tryCharge(SLAB)); // someone else's memory, which no shrinker gives back
      AllocationFailedException e = assertThrows(AllocationFailedException.class, c::allocate);
      assertTrue(Arrays.asList(e.getSuppressed()).contains(boom), Arrays.toString(e.getSuppressed()));
      assertTrue(e.getMessage().contains("shrinker"), e.getMessage());
      assertEquals(0, c.slabStatistics().activeObjects());
      // The other blocking forms: the same contract (0 or the exception), never the shrinker's exception.
      assertEquals(ObjectAllocator.NO_HANDLE, c.tryAllocate(5, TimeUnit.MILLISECONDS));
      long[] dst = new long[2];
      AllocationFailedException bulk = assertThrows(AllocationFailedException.class, () -> c.allocateBulk(dst, 2));
      assertTrue(Arrays.asList(bulk.getSuppressed()).contains(boom));
      budget.credit(SLAB);
      // Once a reclaim runs with no failure, failures are no longer attached.
      r.close();
      budget.reclaim(Long.MAX_VALUE);
      assertEquals(null, budget.lastShrinkerFailure());
      c.free(c.allocate());
    }
  }
}
