package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A mempool over a size class, the kernel's {@code mempool_create_kmalloc_pool}. */
class KmallocMempoolTest {

  @Test
  void aMempoolOverASizeClassServesFromItsReserveWhenTheBudgetIsGone() {
    MemoryBudget budget = MemoryBudget.ofBytes("pool", 64 * 1024);
    try (Kmalloc k = Kmalloc.builder().budget(budget).maxWait(Duration.ZERO).throwOnLeak(true).build()) {
      try (Mempool pool = Mempool.builder("buffers", k.sizeClass(200)).minNr(4).build()) {
        assertEquals(256, pool.objectSize(), "200 B requests are served by kmalloc-256");
        // Take every object the budget allows, from the pool's class and another: the only 256 B objects
        // left are in the pool's reserve.
        long[] hog = new long[4096];
        int n = 0;
        for (long size : new long[] {200, 1000}) {
          for (long h; n < hog.length && (h = k.tryAllocate(size)) != 0; ) {
            hog[n++] = h;
          }
        }
        assertEquals(0, k.tryAllocate(200));
        long[] got = new long[4];
        for (int i = 0; i < got.length; i++) {
          got[i] = pool.allocate(); // never fails: the reserve
          assertEquals(256, k.usableSize(got[i]), "pool handles are the allocator's handles");
        }
        assertEquals(4, pool.mempoolStatistics().reserveHits());
        pool.freeBulk(got, got.length);
        assertEquals(4, pool.mempoolStatistics().reserveLevel());
        k.freeBulk(hog, n);
      }
      assertEquals(0, k.statistics().liveObjects(), "closing the pool returned its reserve to the class");
    }
  }
}
