package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A double free through a mempool over a slab cache is refused wherever either free would put the object
 * (the reserve or the backing cache), and never leads to one object being handed out twice: objects in the
 * reserve are stashed in the cache, which counts them as free. The cache holds exactly one slab (a hog
 * exhausts the shared budget), so every object is accounted for.
 */
class MempoolDoubleFreeTest {
  private MemoryBudget budget;
  private SlabCache cache;
  private SlabCache hog;
  private final List<Long> hogged = new ArrayList<>();
  private Mempool pool;
  /** The objects of the cache's one slab: the reserve's 2 and the rest. */
  private int total;

  @BeforeEach
  void setUp() {
    budget = MemoryBudget.ofBytes("double-free", 1 << 20);
    cache = cache("df-objects", 64);
    pool = Mempool.builder("df-pool", cache).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
    hog = cache("df-hog", 64); // slabs of the same size: what it leaves of the budget holds no slab
    for (long h; (h = hog.tryAllocate()) != 0; ) {
      hogged.add(h);
    }
    assertEquals(1, cache.slabStatistics().totalSlabs(), "one slab, the reserve's 2 objects among them");
    total = (int) cache.slabStatistics().totalObjects();
  }

  private SlabCache cache(String name, long size) {
    return SlabCache.builder(name)
        .objectSize(size)
        .objectsPerSlab(4)
        .magazineSize(2)
        .budget(budget)
        .maxWait(Duration.ofMillis(5))
        .build();
  }

  @AfterEach
  void tearDown() {
    pool.close();
    for (long h : hogged) {
      hog.free(h);
    }
    hog.close();
    cache.close();
  }

  /** Takes everything the pool can give without waiting: the backing cache's objects, then the reserve. */
  private List<Long> takeAll() {
    List<Long> out = new ArrayList<>();
    for (long h; (h = pool.tryAllocate()) != 0; ) {
      out.add(h);
    }
    return out;
  }

  /** All objects can be had again, each once. */
  private void assertEveryObjectHandedOutOnce(List<Long> stillHeld) {
    List<Long> again = takeAll();
    Set<Long> distinct = new HashSet<>(again);
    distinct.addAll(stillHeld);
    assertEquals(again.size() + stillHeld.size(), distinct.size(), "an object was handed out twice: " + again);
    assertEquals(total, distinct.size(), "every object of the slab is accounted for");
    again.forEach(pool::free);
    stillHeld.forEach(pool::free);
    assertEquals(0, pool.mempoolStatistics().liveObjects());
  }

  private void assertRefused(long h) {
    MempoolStatistics before = pool.mempoolStatistics();
    int level = pool.reserveLevel();
    long refusedBefore = cache.slabStatistics().doubleFrees();
    InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> pool.free(h));
    assertTrue(e.getMessage().startsWith("df-pool: "), e.getMessage());
    assertTrue(e.getMessage().contains("double free"), e.getMessage());
    assertEquals(before, pool.mempoolStatistics(), "a refused free changes no statistic");
    assertEquals(level, pool.reserveLevel(), "a refused free changes the reserve");
    assertEquals(refusedBefore + 1, cache.slabStatistics().doubleFrees(), "the cache counts the refusal");
  }

  @Test
  void secondFreeIntoTheReserveIsRefused() {
    List<Long> out = takeAll();
    assertEquals(total, out.size());
    assertEquals(0, pool.reserveLevel());
    long x = out.remove(0);
    pool.free(x); // the reserve is below minNr: x refills it
    assertEquals(1, pool.reserveLevel());
    assertRefused(x); // still below minNr: the cache refuses to stash x twice
    assertEveryObjectHandedOutOnce(out);
  }

  @Test
  void secondFreeOfAnObjectInAFullReserveIsRefusedByTheCache() {
    List<Long> out = takeAll();
    long x = out.remove(0);
    long y = out.remove(0);
    pool.free(x);
    pool.free(y);
    assertEquals(2, pool.reserveLevel(), "x and y refilled the reserve");
    assertRefused(x); // the reserve is full: the free goes to the cache, which knows x is not the user's
    assertEveryObjectHandedOutOnce(out);
  }

  @Test
  void secondFreeIntoTheReserveOfAnObjectTheCacheHoldsIsRefused() throws Exception {
    long b = pool.tryAllocate(); // from the cache; the reserve is full
    CountDownLatch freed = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    // Freed on another thread, b waits in that thread's magazine, out of this thread's reach.
    Thread other =
        Thread.ofPlatform()
            .start(
                () -> {
                  pool.free(b);
                  freed.countDown();
                  try {
                    done.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    freed.await();
    try {
      List<Long> out = takeAll(); // the cache's other free objects, then the reserve's two
      assertEquals(total - 1, out.size());
      assertEquals(0, pool.reserveLevel());
      assertRefused(b); // below minNr: the pool stashes b, and the cache says it is free already
      out.forEach(pool::free);
    } finally {
      done.countDown();
      other.join();
    }
  }

  /**
   * In checked mode a free that the backing refuses leaves the holder's bookkeeping as it was: the thread
   * still holds the object, so blocking on a drained pool is still reported as hold-and-wait.
   */
  @Test
  void aRefusedFreeKeepsTheHolderInCheckedMode() throws InterruptedException {
    FaultyAllocator backing = new FaultyAllocator("faulty", 8);
    TestAllocator drained = new TestAllocator("drained-backing", 16, 64, 7);
    Reservation.checkedMode(true);
    try (Mempool p = Mempool.builder("held", backing).minNr(1).waitTimeout(Duration.ofMillis(20)).build();
        Mempool q = Mempool.builder("drained", drained).minNr(1).waitTimeout(Duration.ofMillis(20))
            .build()) {
      long h = p.allocate();
      backing.throwOnFreeAfter(0); // the next free throws and frees nothing, as a debug report would
      assertThrows(IllegalStateException.class, () -> p.free(h));
      drained.failAlways(true);
      long[] qh = new long[1];
      Thread taker = Thread.ofPlatform().start(() -> qh[0] = q.tryAllocate()); // q's reserve, held elsewhere
      taker.join();
      assertEquals(0, q.reserveLevel());
      // On this thread (the holdings are per thread); if they were lost, q.allocate() would wait until the
      // watchdog lets q's backing succeed, and return instead of throwing.
      Thread watchdog =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    try {
                      Thread.sleep(10_000);
                      drained.failAlways(false);
                    } catch (InterruptedException stop) {
                      // the check threw in time
                    }
                  });
      IllegalStateException e = assertThrows(IllegalStateException.class, q::allocate);
      watchdog.interrupt();
      assertTrue(e.getMessage().contains("hold-and-wait"), e.getMessage());
      assertTrue(e.getMessage().contains("of mempool 'held'"), e.getMessage());
      backing.heal();
      p.free(h);
      drained.failAlways(false);
      q.free(qh[0]);
    } finally {
      Reservation.checkedMode(false);
    }
  }
}
