package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The second outside adversary round, through the public API only: a pool's allocation context doing bulk
 * work, a backing allocator that refuses a stash at a chosen call, and conservation after bulk misses and
 * double frees through different paths.
 */
class MempoolBulkContextAndRefusedStashTest {

  /** A {@link TestAllocator} whose {@code stash} throws at the chosen call (counted from 1), once. */
  private static final class StashRefusing extends ForwardingAllocator {
    final TestAllocator inner;
    private final AtomicInteger stashes = new AtomicInteger();
    private volatile int refuseAt = Integer.MAX_VALUE;

    StashRefusing(String name, int capacity) {
      this(new TestAllocator(name, 32, capacity, 11));
    }

    private StashRefusing(TestAllocator inner) {
      super(inner);
      this.inner = inner;
    }

    /** The {@code k}-th stash from now on throws. */
    void refuseStash(int k) {
      stashes.set(0);
      refuseAt = k;
    }

    @Override
    public void stash(long handle) {
      inner.checkHandle(handle);
      if (stashes.incrementAndGet() == refuseAt) {
        refuseAt = Integer.MAX_VALUE;
        throw new IllegalStateException("injected stash refusal");
      }
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(2);
    }
  }

  // ---------------------------------------------------------------- MempoolLocal bulk

  /**
   * {@link MempoolLocal#allocateBulk} promises {@code ObjectAllocator#allocateBulk}'s all or nothing, and a
   * mempool's bulk waits holding nothing. Two threads each asking their context for the pool's whole reserve
   * (2 objects, backing exhausted) must not deadlock: the pool's own {@link Mempool#allocateBulk} grants one
   * of them both objects once two are freed. A context that takes one object per blocking {@code allocate()}
   * holds the first while it waits for the second: A gets the first freed object, B the second, and both
   * wait for ever (the hold-and-wait the design forbids).
   */
  @Test
  void twoContextsBulkAllocatingTheWholeReserveDoNotDeadlock() throws Exception {
    boolean checked = Reservation.checkedMode();
    Reservation.checkedMode(false);
    ReservationDomain d = ReservationDomain.create("probe2-local-bulk");
    TestAllocator backing = new TestAllocator("probe2-local-bulk-backing", 32, 8, 3);
    Mempool pool =
        Mempool.builder("probe2-local-bulk", backing).minNr(2).domain(d).waitTimeout(Duration.ofMillis(50)).build();
    backing.failAlways(true); // only the reserve's two objects exist for the pool
    long h1 = pool.allocate();
    long h2 = pool.allocate();
    CompletableFuture<Void> a = null;
    CompletableFuture<Void> b = null;
    try {
      Runnable bulk =
          () -> {
            try (MempoolLocal local = pool.local()) {
              long[] dst = new long[2];
              local.allocateBulk(dst, 2);
              local.freeBulk(dst, 2);
            }
          };
      a = CompletableFuture.runAsync(bulk, r -> Thread.ofPlatform().daemon().start(r));
      await(() -> d.waiting() == 1, "A waits");
      b = CompletableFuture.runAsync(bulk, r -> Thread.ofPlatform().daemon().start(r));
      await(() -> d.waiting() == 2, "B waits");
      pool.free(h1);
      Thread.sleep(50);
      pool.free(h2);
      CompletableFuture<Void> both = CompletableFuture.allOf(a, b);
      assertDoesNotTimeOut(both, "two MempoolLocal.allocateBulk(2) on a pool of minNr 2 deadlocked; reserve="
          + pool.reserveLevel() + ", live=" + pool.mempoolStatistics().liveObjects() + ", waiting=" + d.waiting());
      assertEquals(2, pool.reserveLevel());
      assertEquals(0, pool.mempoolStatistics().liveObjects());
    } finally {
      backing.failAlways(false); // lets deadlocked waiters finish through the backing allocator's retry
      if (a != null && b != null) {
        CompletableFuture.allOf(a, b).get(10, TimeUnit.SECONDS);
      }
      Reservation.checkedMode(checked);
    }
    pool.close();
    assertEquals(0, backing.live());
  }

  /**
   * {@link Mempool#allocateBulk} refuses a demand above what the reserve can ever hold with {@link
   * IllegalArgumentException} (it could wait for ever); its context's {@code allocateBulk} promises the
   * same call. A demand of 3 from a pool of minNr 2 over an exhausted backing allocator must throw, not wait.
   */
  @Test
  void aContextBulkAboveMinNrIsRefusedAsThePoolRefusesIt() throws Exception {
    boolean checked = Reservation.checkedMode();
    Reservation.checkedMode(false);
    ReservationDomain d = ReservationDomain.create("probe2-local-toomany");
    TestAllocator backing = new TestAllocator("probe2-local-toomany-backing", 32, 8, 5);
    Mempool pool =
        Mempool.builder("probe2-local-toomany", backing).minNr(2).domain(d).waitTimeout(Duration.ofMillis(50))
            .build();
    backing.failAlways(true);
    assertThrows(IllegalArgumentException.class, () -> pool.allocateBulk(new long[3], 3), "the pool's own");
    CompletableFuture<Throwable> f =
        CompletableFuture.supplyAsync(
            () -> {
              try (MempoolLocal local = pool.local()) {
                long[] dst = new long[3];
                try {
                  local.allocateBulk(dst, 3);
                } catch (RuntimeException e) {
                  return e;
                }
                local.freeBulk(dst, 3);
                return new AssertionError("allocateBulk(3) succeeded on a pool of minNr 2");
              }
            },
            r -> Thread.ofPlatform().daemon().start(r));
    try {
      Throwable t = f.get(3, TimeUnit.SECONDS);
      assertTrue(t instanceof IllegalArgumentException, "got " + t);
    } catch (TimeoutException e) {
      throw new AssertionError(
          "MempoolLocal.allocateBulk(3) on a pool of minNr 2 waits (for ever while the backing is exhausted)"
              + " instead of refusing; it holds " + (2 - pool.reserveLevel()) + " reserve objects meanwhile",
          e);
    } finally {
      backing.failAlways(false);
      f.get(10, TimeUnit.SECONDS);
      Reservation.checkedMode(checked);
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, backing.live());
  }

  private static void assertDoesNotTimeOut(CompletableFuture<?> f, String message)
      throws InterruptedException, ExecutionException {
    try {
      f.get(3, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(message, e);
    }
  }

  // ---------------------------------------------------------------- a backing allocator that refuses a stash

  /**
   * Building a pool is all or nothing: "creation fails clearly otherwise", nothing held. A backing allocator
   * that refuses the third stash of the fresh reserve must leave no object allocated in it.
   */
  @Test
  void aBuildWhoseBackingRefusesAStashHoldsNothing() {
    StashRefusing backing = new StashRefusing("probe2-build-stash", 16);
    backing.refuseStash(3);
    assertThrows(RuntimeException.class, () -> Mempool.builder("probe2-build-stash", backing).minNr(5).build());
    assertEquals(0, backing.inner.live(), "objects of the failed build's reserve still allocated in the backing");
  }

  /**
   * A resize that grows the reserve refills it from the backing allocator; when the backing allocator refuses
   * the stash of the object it just handed out, that object must not be lost (neither in the reserve nor
   * free in the backing allocator).
   */
  @Test
  void aGrowingResizeWhoseBackingRefusesTheStashLosesNothing() {
    StashRefusing backing = new StashRefusing("probe2-resize-stash", 16);
    Mempool pool = Mempool.builder("probe2-resize-stash", backing).minNr(2).build();
    backing.refuseStash(1);
    try {
      pool.resize(4);
    } catch (RuntimeException expected) {
      // whether it throws is secondary; what it holds is the point
    }
    int level = pool.reserveLevel();
    assertEquals(level, backing.inner.live(), "the backing's live objects are exactly the reserve's");
    pool.close();
    assertEquals(0, backing.inner.live(), "an object refilled by the resize is lost to the backing allocator");
  }

  // ---------------------------------------------------------------- conservation (regression checks)

  /**
   * {@code tryAllocateBulk} on a miss gives back through {@code free}, reserve first: the reserve refills,
   * the rest returns to the backing allocator, and live counts return to zero.
   */
  @Test
  void aMissingTryAllocateBulkRefillsTheReserveAndConserves() {
    TestAllocator backing = new TestAllocator("probe2-trybulk-backing", 32, 3, 9);
    Mempool pool = Mempool.builder("probe2-trybulk", backing).minNr(2).build();
    long[] dst = new long[4];
    assertFalse(pool.tryAllocateBulk(dst, 4));
    assertEquals(2, pool.reserveLevel());
    assertEquals(2, backing.live(), "only the reserve's objects");
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    try (MempoolLocal local = pool.local()) {
      assertFalse(local.tryAllocateBulk(dst, 4));
      assertTrue(local.tryAllocateBulk(dst, 3));
      local.freeBulk(dst, 3);
    }
    assertEquals(2, pool.reserveLevel());
    assertEquals(2, backing.live());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, backing.live());
  }

  /**
   * One object freed through several paths (the pool's context, the pool, the slab cache and its context
   * under it, a bulk free): only the first free is accepted, whichever way the object went (the reserve, as
   * here: the cache holds one slab and the reserve is below minNr, or the cache), and nothing is handed out
   * twice afterwards.
   */
  @Test
  void aDoubleFreeThroughDifferentPathsIsRefusedAndNothingIsHandedOutTwice() {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-paths", 8 * 32);
    try (SlabCache cache =
        SlabCache.builder("probe2-paths").objectSize(32).objectsPerSlab(8).budget(budget)
            .maxWait(Duration.ofMillis(20)).build()) {
      assertEquals(8 * 32, cache.slabStatistics().slabBytes(), "one slab is the whole budget");
      Mempool pool = Mempool.builder("probe2-paths-pool", cache).minNr(4).build();
      long[] hs = new long[6];
      try (MempoolLocal local = pool.local()) {
        for (int i = 0; i < hs.length; i++) {
          hs[i] = local.allocate(); // 4 from the cache, then 2 from the reserve
        }
        assertEquals(2, pool.reserveLevel());
        local.free(hs[0]); // into the reserve
        assertEquals(3, pool.reserveLevel());
        assertThrows(InvalidHandleException.class, () -> pool.free(hs[0]));
        assertThrows(InvalidHandleException.class, () -> local.free(hs[0]));
        assertThrows(InvalidHandleException.class, () -> cache.free(hs[0]));
        pool.free(hs[1]); // into the reserve, now full
        assertEquals(4, pool.reserveLevel());
        assertThrows(InvalidHandleException.class, () -> cache.free(hs[1]));
        try (var slabLocal = cache.local()) {
          assertThrows(InvalidHandleException.class, () -> slabLocal.free(hs[1]));
        }
        long[] rest = {hs[2], hs[3], hs[2]}; // to the cache; the third is a double free
        assertThrows(InvalidHandleException.class, () -> local.freeBulk(rest, 3));
        local.freeBulk(new long[] {hs[4], hs[5]}, 2);
      }
      assertEquals(4, pool.reserveLevel());
      assertEquals(0, pool.mempoolStatistics().liveObjects());
      Set<Long> seen = new HashSet<>();
      long[] again = new long[8]; // the whole slab: 4 from the cache, 4 from the reserve
      for (int i = 0; i < again.length; i++) {
        again[i] = pool.allocate();
        assertNotEquals(0L, again[i]);
        assertTrue(seen.add(again[i]), "handed out twice: 0x" + Long.toHexString(again[i]));
      }
      assertEquals(0, pool.tryAllocate(), "a ninth object does not exist");
      pool.freeBulk(again, again.length);
      assertEquals(4, pool.reserveLevel());
      assertEquals(0, pool.mempoolStatistics().liveObjects());
      pool.close();
      cache.shrink();
      assertEquals(0, cache.slabStatistics().activeObjects());
      assertEquals(0, budget.used(), "every slab credited back");
    }
  }
}
