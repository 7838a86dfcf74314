package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, items 6 to 12: close against an in-flight trim, what shrink reports, huge durations, what the
 * fast-path counter counts, and access through stale handles and after close.
 */
class SlabLifecycleTest {
  private static final int PER_SLAB = 16;
  private static final long SLAB = 64L * PER_SLAB;

  /** Waits for a condition with a watchdog: fails loudly instead of hanging or falling through. */
  static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("watchdog: no progress in 30 s waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  /**
   * The trim is stalled on the slab lock with slabs to release, then {@code close()} starts; after the lock
   * is let go, close must not return before the trim has credited everything. Which of the two then
   * releases the empty slabs is up to the scheduler, so the scenario runs several rounds.
   */
  @Test
  void closeWaitsForAnIdleTrimInFlight() throws Exception {
    for (int round = 0; round < 20; round++) {
      closeWaitsForAnIdleTrimInFlightOnce(round);
    }
  }

  private static void closeWaitsForAnIdleTrimInFlightOnce(int round) throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("trim-vs-close", 8 * SLAB);
    SlabCache c =
        SlabCache.builder("trim-vs-close")
            .objectSize(64)
            .objectsPerSlab(PER_SLAB)
            .magazineSize(4)
            .maxEmptySlabs(4)
            .budget(budget)
            .trimWhenIdle(Duration.ofMillis(50))
            .build();
    // The objects sit in a user thread's magazines and the depot; the trim must take the slab lock to
    // return them (draining the depot, or reaping the thread once it ends).
    java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch used = new java.util.concurrent.CountDownLatch(1);
    Thread user =
        Thread.ofPlatform()
            .start(
                () -> {
                  long[] hs = new long[2 * PER_SLAB];
                  c.allocateBulk(hs, hs.length);
                  c.freeBulk(hs, hs.length);
                  used.countDown();
                  try {
                    end.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    used.await();
    ReentrantLock slabLock = c.slabListLockForTests();
    AtomicLong usedRightAfterClose = new AtomicLong(-1);
    Thread closer;
    slabLock.lock();
    try {
      end.countDown();
      user.join();
      awaitCondition("the idle trim to block on the slab lock", slabLock::hasQueuedThreads);
      closer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    c.close();
                    usedRightAfterClose.set(budget.used());
                  });
      awaitCondition("close() to block", () -> closer.getState() == Thread.State.WAITING);
    } finally {
      slabLock.unlock();
    }
    closer.join(30_000);
    assertTrue(!closer.isAlive(), "watchdog: close() did not return in 30 s");
    assertEquals(
        0, usedRightAfterClose.get(), "round " + round + ": close() returned while the trim still held slabs");
    assertEquals(0, c.leakedObjects());
  }

  @Test
  void shrinkCountsTheSlabsReleasedWhileFlushing() {
    MemoryBudget budget = MemoryBudget.ofBytes("shrink-count", 16 * SLAB);
    try (SlabCache c =
        SlabCache.builder("shrink-count")
            .objectSize(64)
            .objectsPerSlab(PER_SLAB)
            .magazineSize(PER_SLAB)
            .maxEmptySlabs(1)
            .budget(budget)
            .build()) {
      long[] hs = new long[6 * PER_SLAB];
      c.allocateBulk(hs, hs.length);
      c.freeBulk(hs, hs.length); // magazines and depot hold them; the slabs are full of cached objects
      long before = budget.used();
      long released = c.shrink();
      assertEquals(before - budget.used(), released, "shrink() must report every byte it credited");
      assertEquals(0, budget.used());
      c.allocateBulk(hs, hs.length);
      c.freeBulk(hs, hs.length);
      before = budget.used();
      long reclaimed = budget.reclaim(Long.MAX_VALUE / 2);
      assertEquals(before - budget.used(), reclaimed, "reclaim() reports what the shrinkers credited");
    }
  }

  @Test
  void hugeDurationsSaturateInsteadOfOverflowing() throws Exception {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    MemoryBudget budget = MemoryBudget.ofBytes("forever", SLAB);
    try (SlabCache holder =
            SlabCache.builder("holder").objectSize(64).objectsPerSlab(PER_SLAB).budget(budget).build();
        SlabCache waiter =
            SlabCache.builder("forever")
                .objectSize(64)
                .objectsPerSlab(PER_SLAB)
                .budget(budget)
                .maxWait(forever)
                .trimWhenIdle(forever)
                .build()) {
      long[] hs = new long[PER_SLAB];
      holder.allocateBulk(hs, hs.length);
      // allocate() with an endless maxWait must wait for credit, not fail at once (a wrapped deadline)
      AtomicLong got = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      got.set(waiter.allocate());
                    } catch (Throwable e) {
                      failure.set(e);
                    }
                  });
      awaitCondition(
          "the allocation to wait for credit", () -> budget.waitingThreads() == 1 || !t.isAlive());
      assertTrue(t.isAlive(), () -> "allocate() did not wait: " + failure.get());
      holder.freeBulk(hs, hs.length);
      holder.shrink();
      t.join(30_000);
      assertTrue(!t.isAlive(), "watchdog: the waiter was not released by the credit");
      assertEquals(null, failure.get());
      assertNotEquals(0, got.get());
      waiter.free(got.get());
    }
  }

  @Test
  void fastPathAllocationsCountOnlyMagazineHits() {
    try (SlabCache c =
        SlabCache.builder("fast-count").objectSize(32).objectsPerSlab(64).magazineSize(8).build()) {
      long[] hs = new long[20];
      c.allocateBulk(hs, hs.length);
      assertEquals(0, c.slabStatistics().fastPathAllocations(), "bulk allocations bypass the magazines");
      c.freeBulk(hs, hs.length); // fills this thread's magazines
      long h = c.allocate();
      assertEquals(1, c.slabStatistics().fastPathAllocations());
      c.free(h);
    }
    try (SlabCache d =
        SlabCache.builder("fast-count-debug").objectSize(32).debug(SlabDebug.of("F")).build()) {
      long h = d.allocate();
      d.free(h);
      h = d.allocate();
      assertEquals(0, d.slabStatistics().fastPathAllocations(), "debug allocations bypass the magazines");
      d.free(h);
    }
  }

  @Test
  void memoryOfAHandleWhoseSlabWasReleasedThrows() {
    try (SlabCache c = SlabCache.builder("stale-memory").objectSize(32).objectsPerSlab(4).build()) {
      long h = c.allocate();
      c.free(h);
      c.shrink();
      assertEquals(0, c.slabStatistics().totalSlabs());
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.memory(h));
      assertTrue(e.getMessage().contains("stale-memory"), e.getMessage());
      assertThrows(InvalidHandleException.class, () -> c.memory(h + (5000L << 24)), "index beyond the table");
      assertThrows(InvalidHandleException.class, () -> c.segment(h));
    }
  }

  @Test
  void segmentAndCheckHandleAfterCloseThrowAllocatorClosed() {
    SlabCache c = SlabCache.builder("closed-access").objectSize(32).objectsPerSlab(4).build();
    long h = c.allocate();
    assertDoesNotThrow(() -> c.checkHandle(h));
    c.free(h);
    c.close();
    assertThrows(AllocatorClosedException.class, () -> c.segment(h));
    assertThrows(AllocatorClosedException.class, () -> c.checkHandle(h));
  }
}
