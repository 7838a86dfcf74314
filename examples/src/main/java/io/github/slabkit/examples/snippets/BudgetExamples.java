package io.github.slabkit.examples.snippets;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Memory budget and blocking-mode examples quoted by the documentation. */
public final class BudgetExamples {
  private BudgetExamples() {}

  /**
   * Fills a budget shared by two caches and shows the three blocking modes failing in their own way.
   *
   * @return what happened, one word per mode: {@code "0 0 AllocationFailedException"}
   * @throws InterruptedException if interrupted
   */
  public static String blockingModes() throws InterruptedException {
    // @start region="budget"
    // 64 KiB of "RAM" shared by two caches; each slab is 4 KiB and is charged when created.
    MemoryBudget ram = MemoryBudget.ofBytes("ram", 64 * 1024);
    try (SlabCache small = SlabCache.builder("small").objectSize(64).slabSize(4096).budget(ram).build();
        SlabCache large = SlabCache.builder("large").objectSize(512).slabSize(4096).budget(ram)
            .maxWait(Duration.ofMillis(10)).build()) {
      // @end
      List<Long> held = new ArrayList<>();
      long h;
      while ((h = small.tryAllocate()) != ObjectAllocator.NO_HANDLE) {
        held.add(h); // fill the whole budget with small objects
      }
      // @start region="modes"
      long a = large.tryAllocate(); // GFP_NOWAIT: never blocks, never reclaims; 0 when nothing is at hand
      long b = large.tryAllocate(5, TimeUnit.MILLISECONDS); // may reclaim and wait up to 5 ms; 0 on timeout
      AllocationFailedException failure = null;
      try {
        long c = large.allocate(); // may reclaim and wait up to maxWait, then throws
        large.free(c);
      } catch (AllocationFailedException e) {
        failure = e; // its message names the cache, the request, the budget's limit and use, and what to change
      }
      // @end
      StringBuilder result = new StringBuilder();
      if (failure != null) {
        result.append(a).append(' ').append(b).append(' ').append(failure.getClass().getSimpleName());
      }
      for (long x : held) {
        small.free(x);
      }
      return result.toString();
    }
  }

  /**
   * Shows reclaim: a full budget, the idle cache's empty slabs are released for the other cache.
   *
   * @return whether the allocation that needed reclaim succeeded
   */
  public static boolean reclaim() {
    MemoryBudget ram = MemoryBudget.ofBytes("ram", 16 * 1024);
    try (SlabCache first = SlabCache.builder("first").objectSize(64).slabSize(4096).budget(ram).build();
        SlabCache second = SlabCache.builder("second").objectSize(64).slabSize(4096).budget(ram).build()) {
      List<Long> held = new ArrayList<>();
      long h;
      while ((h = first.tryAllocate()) != ObjectAllocator.NO_HANDLE) {
        held.add(h);
      }
      for (long x : held) {
        first.free(x); // free, but still cached in first's magazines and slabs
      }
      // @start region="reclaim"
      // The budget is full of first's free memory. second.allocate() asks the budget's shrinkers (every
      // cache registers one) to release empty slabs, then takes the credit; tryAllocate() would not.
      long s = second.allocate();
      // @end
      second.free(s);
      return s != ObjectAllocator.NO_HANDLE;
    }
  }
}
