package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The classes and large allocations share one budget; under pressure one class's idle memory serves another. */
class KmallocBudgetTest {
  private static final long SLAB = 64 * 1024;

  @Test
  void classesShareTheBudgetAndReclaimEachOthersEmptySlabs() {
    MemoryBudget budget = MemoryBudget.ofBytes("shared", 4 * SLAB);
    try (Kmalloc k = Kmalloc.builder().budget(budget).maxWait(Duration.ZERO).throwOnLeak(true).build()) {
      List<Long> small = new ArrayList<>();
      for (long h; (h = k.tryAllocate(64)) != 0; ) {
        small.add(h);
      }
      assertEquals(4 * SLAB, budget.used(), "kmalloc-64 took the whole budget");
      assertEquals(4 * SLAB / 64, small.size());
      assertEquals(0, k.tryAllocate(1024), "kmalloc-1k finds no room: the budget is shared");
      assertEquals(0, k.tryAllocate(20_000), "nor does a large allocation");
      assertThrows(AllocationFailedException.class, () -> k.allocate(1024));
      for (long h : small) {
        k.free(h);
      }
      // kmalloc-64's slabs are empty now but kept (or held in magazines): tryAllocate never reclaims.
      assertEquals(0, k.tryAllocate(1024));
      // A blocking allocation asks the shrinkers (every class cache) and gets kmalloc-64's memory.
      long big = k.allocate(1024);
      long large = k.allocate(20_000);
      assertNotEquals(0, big);
      assertEquals(5 * 4096, k.usableSize(large));
      assertTrue(k.statistics().classes().get(3).slab().totalSlabs() < 4, "kmalloc-64 gave slabs back");
      k.free(big);
      k.free(large);
    }
    assertEquals(0, budget.used(), "close() released everything");
  }

  /**
   * Exhaustion torture: eight threads allocate random sizes (some large) from a budget of a few slabs, in
   * every blocking mode, holding up to 16 objects each; failures are expected, a hang is not. A watchdog fails
   * the test if the total progress count stops moving for 10 s.
   */
  @Test
  void exhaustionFromManyThreadsMakesProgressAndLeavesExactAccounts() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("torture", 6 * SLAB);
    AtomicLong progress = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (Kmalloc k =
        Kmalloc.builder().budget(budget).maxWait(Duration.ofMillis(5)).throwOnLeak(true).build()) {
      Thread[] threads = new Thread[8];
      for (int t = 0; t < threads.length; t++) {
        long seed = 77 + t;
        threads[t] =
            Thread.ofPlatform()
                .start(
                    () -> {
                      SplittableRandom rnd = new SplittableRandom(seed);
                      long[] held = new long[16];
                      int n = 0;
                      try {
                        for (int i = 0; i < 4000; i++) {
                          if (n == held.length || (n > 0 && rnd.nextBoolean())) {
                            k.free(held[--n]);
                          } else {
                            long size = rnd.nextInt(50) == 0 ? 30_000 : 1 + rnd.nextInt(4096);
                            long h;
                            switch (rnd.nextInt(3)) {
                              case 0 -> h = k.tryAllocate(size);
                              case 1 -> h = k.tryAllocate(size, 2, TimeUnit.MILLISECONDS);
                              default -> {
                                try {
                                  h = k.allocate(size);
                                } catch (AllocationFailedException e) {
                                  h = 0;
                                }
                              }
                            }
                            if (h == 0) {
                              failures.incrementAndGet();
                            } else {
                              held[n++] = h;
                            }
                          }
                          progress.incrementAndGet();
                        }
                        k.freeBulk(held, n);
                      } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                      }
                    });
      }
      long last = -1;
      long stuckSince = System.nanoTime();
      while (anyAlive(threads)) {
        Thread.sleep(100);
        long p = progress.get();
        if (p != last) {
          last = p;
          stuckSince = System.nanoTime();
        } else if (System.nanoTime() - stuckSince > TimeUnit.SECONDS.toNanos(10)) {
          throw new AssertionError("no progress for 10 s at " + p + " operations: a thread is stuck");
        }
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertTrue(failures.get() > 0, "the budget was never exhausted: the test did not test exhaustion");
      KmallocStatistics s = k.statistics();
      assertEquals(0, s.liveObjects());
      assertEquals(0, s.largeBytes());
      assertEquals(s.bytesCharged(), budget.used(), "the budget holds exactly the classes' slabs");
      assertTrue(budget.used() <= budget.limit());
    }
    assertEquals(0, budget.used());
  }

  private static boolean anyAlive(Thread[] threads) {
    for (Thread t : threads) {
      if (t.isAlive()) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aFailedLargeAllocationChargesNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("large-fail", 2 * SLAB);
    try (Kmalloc k = Kmalloc.builder().budget(budget).maxWait(Duration.ZERO).build()) {
      AllocationFailedException e = assertThrows(AllocationFailedException.class, () -> k.allocate(3 * SLAB));
      assertTrue(e.getMessage().contains("large allocation"), e.getMessage());
      assertEquals(0, budget.used());
      assertFalse(k.statistics().largeFailures() == 0);
    }
  }
}
