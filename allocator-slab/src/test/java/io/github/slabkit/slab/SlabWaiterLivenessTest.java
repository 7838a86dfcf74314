package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * DESIGN's liveness rule for the slab cache's waits: an allocation that waits for memory is served by
 * objects that come back to the cache, not only by new memory (a credit to the budget). Frees rarely empty a
 * slab, so a waiter that waited only for credit could fail, or wait its whole {@code maxWait}, beside free
 * objects. Each test bounds its waits with a watchdog far longer than the behaviour needs; none asserts a
 * time.
 */
class SlabWaiterLivenessTest {
  private static final int PER_SLAB = 16;
  private static final Duration WATCHDOG = Duration.ofSeconds(60);

  private static SlabCache cache(String name, int magazineSize, Duration maxWait) {
    return SlabCache.builder(name)
        .objectSize(64)
        .objectsPerSlab(PER_SLAB)
        .magazineSize(magazineSize)
        .budget(MemoryBudget.ofBytes(name, 2L * 64 * PER_SLAB))
        .maxWait(maxWait)
        .throwOnLeak(true)
        .build();
  }

  @Test
  void objectsADeadThreadLeftInItsMagazineServeABlockingAllocation() throws InterruptedException {
    // The budget's reclaim flushes the dead thread's magazine into partial slabs, which frees no slab and
    // credits nothing: the allocation must take those objects instead of waiting for credit and failing.
    try (SlabCache c = cache("waiter-dead-thread", 64, Duration.ofMillis(100))) {
      long[] all = new long[2 * PER_SLAB];
      c.allocateBulk(all, all.length);
      Thread t = Thread.ofPlatform().start(() -> {
        c.free(all[0]);
        c.free(all[1]);
        c.free(all[2]);
      });
      t.join();
      long h = c.allocate(); // threw AllocationFailedException before: 29 live, 3 in a dead magazine
      assertNotEquals(0, h);
      c.free(h);
      for (int i = 3; i < all.length; i++) {
        c.free(all[i]);
      }
    }
  }

  @Test
  void aFreeOnAnotherThreadWakesAWaiterWithoutEmptyingASlab() throws Exception {
    // maxWait is far longer than the watchdog: only the freed object, not a timeout, can end the wait.
    try (SlabCache c = cache("waiter-woken-by-free", 1, Duration.ofDays(1))) {
      long[] all = new long[2 * PER_SLAB];
      c.allocateBulk(all, all.length);
      CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(c::allocate, r -> Thread.ofPlatform().start(r));
      awaitWaiting(c, waiter);
      c.free(all[5]); // into this thread's one-handle magazine, then the depot or a slab: no slab empties
      c.free(all[6]);
      long h = waiter.get(WATCHDOG.toSeconds(), TimeUnit.SECONDS);
      assertTrue(h == all[5] || h == all[6], "the waiter got a freed object");
      c.free(h);
      for (int i = 0; i < all.length; i++) {
        if (i != 5 && i != 6) {
          c.free(all[i]);
        }
      }
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void aTimedWaiterIsServedByAFreeToo() throws Exception {
    try (SlabCache c = cache("waiter-timed", 1, Duration.ofDays(1))) {
      long[] all = new long[2 * PER_SLAB];
      c.allocateBulk(all, all.length);
      CompletableFuture<Long> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return c.tryAllocate(WATCHDOG.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              },
              r -> Thread.ofPlatform().start(r));
      awaitWaiting(c, waiter);
      // The second free pushes the first out of this thread's one-handle magazine (a live thread's magazine
      // serves that thread only; see the class comment of SlabCache) into the depot.
      c.free(all[9]);
      c.free(all[10]);
      long h = waiter.get(WATCHDOG.toSeconds(), TimeUnit.SECONDS);
      assertTrue(h == all[9] || h == all[10], "the waiter got a freed object");
      c.free(h);
      for (int i = 0; i < all.length; i++) {
        if (i != 9 && i != 10) {
          c.free(all[i]);
        }
      }
    }
  }

  @Test
  void twoBulkAllocationsThatDoNotFitTogetherTakeTurnsInsteadOfHoldingHalves() throws Exception {
    // 32 objects fit the budget; each request wants 20. A request that held what it had while waiting for
    // the rest would leave both holding about half, each waiting for the other (until maxWait, a day here).
    try (SlabCache c = cache("waiter-two-bulks", 4, Duration.ofDays(1))) {
      Runnable worker =
          () -> {
            long[] mine = new long[20];
            for (int round = 0; round < 200; round++) {
              c.allocateBulk(mine, 20);
              Thread.yield();
              c.freeBulk(mine, 20);
            }
          };
      CompletableFuture<Void> a = CompletableFuture.runAsync(worker, r -> Thread.ofPlatform().start(r));
      CompletableFuture<Void> b = CompletableFuture.runAsync(worker, r -> Thread.ofPlatform().start(r));
      a.get(WATCHDOG.toSeconds(), TimeUnit.SECONDS); // a failure would rethrow AllocationFailedException
      b.get(WATCHDOG.toSeconds(), TimeUnit.SECONDS);
      c.shrink();
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void aBulkAllocationThatMustWaitKeepsTheCachesOwnEmptySlabInsteadOfUnmappingAndMappingIt() {
    // One slab's objects are held; a bulk of 20 fits the budget (two slabs) only once they come back. While
    // it waits it holds nothing, so the second slab is empty: the reclaim its wait runs used to release that
    // slab (this cache's own shrinker) and the charge then mapped a new one, round after round until the
    // deadline (each release a shared arena's close, a handshake with every thread: on one CPU two such
    // requests took tens of seconds to take turns). Now the cache keeps its own empty slab while it waits.
    try (SlabCache c = cache("waiter-no-churn", 4, Duration.ofMillis(300))) {
      long[] held = new long[PER_SLAB];
      c.allocateBulk(held, PER_SLAB);
      long[] want = new long[20];
      assertThrows(AllocationFailedException.class, () -> c.allocateBulk(want, want.length));
      SlabStatistics s = c.slabStatistics();
      assertEquals(2, s.slabGrows(), "slabs mapped: the held one and one for the request, once");
      assertEquals(0, s.slabReleases(), "slabs unmapped while the request waited");
      assertEquals(PER_SLAB, s.activeObjects(), "the failed request holds nothing");
      c.freeBulk(held, PER_SLAB);
      c.allocateBulk(want, want.length); // fits now
      c.freeBulk(want, want.length);
    }
  }

  /** Waits until the allocation is blocked in the budget (or already done), within the watchdog. */
  private static void awaitWaiting(SlabCache c, CompletableFuture<Long> waiter)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + WATCHDOG.toNanos();
    while (c.budget().waitingThreads() == 0 && !waiter.isDone()) {
      assertTrue(System.nanoTime() < deadline, "the allocation never started waiting");
      Thread.sleep(1);
    }
    if (waiter.isDone()) {
      try {
        throw new AssertionError("the allocation did not wait: " + waiter.get(0, TimeUnit.SECONDS));
      } catch (TimeoutException e) {
        throw new AssertionError(e);
      }
    }
  }
}
