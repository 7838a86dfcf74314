package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link MempoolLocal}: counts in the context, the reserve and checked mode through a context, the owner
 * check, close returning the backing context's magazines, zero garbage.
 */
class MempoolLocalTest {

  private static Throwable onOtherThread(Executable body) throws InterruptedException {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    body.execute();
                  } catch (Throwable e) {
                    thrown.set(e);
                  }
                });
    assertTrue(t.join(Duration.ofSeconds(30)), "the other thread finished");
    return thrown.get();
  }

  @Test
  void backingHitsAndFreesAreCountedInThePoolsStatistics() {
    try (SlabCache cache = SlabCache.builder("ml-count-cache").objectSize(32).build();
        Mempool pool = Mempool.builder("ml-count", cache).minNr(4).build();
        MempoolLocal local = pool.local()) {
      MempoolStatistics before = pool.mempoolStatistics();
      long[] hs = new long[10];
      for (int i = 0; i < hs.length; i++) {
        hs[i] = i % 2 == 0 ? local.allocate() : local.tryAllocate();
      }
      for (long h : hs) {
        local.free(h);
      }
      MempoolStatistics after = pool.mempoolStatistics();
      assertEquals(before.backingHits() + 10, after.backingHits());
      assertEquals(before.frees() + 10, after.frees());
      assertEquals(before.allocations() + 10, after.allocations());
      assertEquals(4, after.reserveLevel(), "the reserve was full, so the frees went to the backing cache");
      assertEquals(4, cache.slabStatistics().activeObjects(), "only the reserve is allocated from the cache");
    }
  }

  @Test
  void whenTheBackingFailsTheReserveServesAndAFreeRefillsIt() {
    TestAllocator backing = new TestAllocator("ml-reserve-backing", 16, 64, 7);
    try (Mempool pool = Mempool.builder("ml-reserve", backing).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
        MempoolLocal local = pool.local()) {
      backing.failAlways(true);
      long a = local.allocate();
      long b = local.tryAllocate();
      assertNotEquals(0, a);
      assertNotEquals(0, b);
      assertEquals(0, pool.reserveLevel());
      assertEquals(0, local.tryAllocate(), "backing failing and reserve drained");
      MempoolStatistics s = pool.mempoolStatistics();
      assertEquals(2, s.reserveHits());
      assertEquals(1, s.failures());
      local.free(a);
      assertEquals(1, pool.reserveLevel(), "a free refills the reserve below minNr");
      local.free(b);
      assertEquals(2, pool.reserveLevel());
      backing.failAlways(false);
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> local.free(0));
      assertTrue(e.getMessage().contains("backing allocator"), e.getMessage());
      assertEquals(2, pool.reserveLevel(), "a refused free changes nothing");
    }
  }

  @Test
  void checkedModeSeesObjectsTakenThroughAContext() {
    Reservation.checkedMode(true);
    TestAllocator slabA = new TestAllocator("ml-checked-a", 16, 64, 1);
    TestAllocator slabB = new TestAllocator("ml-checked-b", 16, 64, 2);
    ReservationDomain d = ReservationDomain.create("ml-checked", Duration.ofHours(1));
    try (Mempool a = Mempool.builder("ml-a", slabA).minNr(1).domain(d).build();
        Mempool b = Mempool.builder("ml-b", slabB).minNr(1).domain(d).build();
        MempoolLocal la = a.local();
        MempoolLocal lb = b.local()) {
      slabB.failAlways(true);
      long held = lb.allocate(); // b's reserve: now empty
      long ha = la.allocate();
      // this thread holds an object of a (taken through a context) and would block on b: refused
      IllegalStateException e = assertThrows(IllegalStateException.class, lb::allocate);
      assertTrue(e.getMessage().contains("hold-and-wait"), e.getMessage());
      la.free(ha); // disowned through the context: checked mode forgets it
      lb.free(held);
      slabB.failAlways(false);
    } finally {
      Reservation.checkedMode(false);
    }
  }

  @Test
  void everyCallFromAnotherThreadIsRefused() throws Exception {
    try (SlabCache cache = SlabCache.builder("ml-owner-cache").objectSize(32).build();
        Mempool pool = Mempool.builder("ml-owner", cache).minNr(2).build();
        MempoolLocal local = pool.local()) {
      long h = local.allocate();
      for (Executable call :
          new Executable[] {local::allocate, local::tryAllocate, () -> local.free(h), local::close}) {
        Throwable t = onOtherThread(call);
        assertTrue(t instanceof IllegalStateException, String.valueOf(t));
        assertTrue(t.getMessage().contains("on the MempoolLocal of thread"), t.getMessage());
      }
      assertEquals(1, pool.mempoolStatistics().liveObjects());
      local.free(h);
    }
  }

  @Test
  void closeReturnsTheBackingContextsMagazinesAndLaterUseIsRefused() {
    try (SlabCache cache = SlabCache.builder("ml-close-cache").objectSize(32).magazineSize(64).build();
        Mempool pool = Mempool.builder("ml-close", cache).minNr(2).build()) {
      MempoolLocal local = pool.local();
      for (int i = 0; i < 10; i++) {
        local.free(local.allocate());
      }
      assertTrue(cache.slabStatistics().cachedObjects() > 0);
      local.close();
      local.close(); // idempotent
      assertEquals(0, cache.slabStatistics().cachedObjects(), "the slab context's magazines were flushed");
      assertEquals(2, cache.slabStatistics().activeObjects(), "the reserve's objects stay allocated");
      IllegalStateException e = assertThrows(IllegalStateException.class, local::allocate);
      assertTrue(e.getMessage().contains("closed MempoolLocal"), e.getMessage());
      MempoolLocal again = pool.local();
      pool.close();
      assertThrows(AllocatorClosedException.class, again::allocate);
      assertThrows(AllocatorClosedException.class, again::tryAllocate);
      assertThrows(AllocatorClosedException.class, () -> again.free(1));
      assertThrows(AllocatorClosedException.class, pool::local);
      again.close();
    }
  }

  /**
   * Steady-state allocations and frees through a pool's context allocate nothing on the heap. As in the
   * slab cache's SlabLocalTest: the warm-up runs the very calls measured ({@code tryAllocate} and {@code
   * allocate}), and the figure is the least of three passes, so a one-time allocation (a deoptimization that
   * rematerializes an object, a lazy initialization) does not fail it while per-call garbage (64 KB a pass
   * at one 16-byte object per hundred calls) still does.
   */
  @Test
  void aContextsPairsAllocateNoGarbage() {
    try (SlabCache cache = SlabCache.builder("ml-garbage-cache").objectSize(32).build();
        Mempool pool = Mempool.builder("ml-garbage", cache).minNr(4).build();
        MempoolLocal local = pool.local()) {
      long[] batch = new long[100];
      for (int round = 0; round < 2_000; round++) {
        churn(local, batch, round);
      }
      long probe = Garbage.allocatedBytes();
      long calibration = Garbage.allocatedBytes() - probe;
      long least = Long.MAX_VALUE;
      for (int pass = 0; pass < 3 && least >= 4_096; pass++) {
        long before = Garbage.allocatedBytes();
        for (int round = 0; round < 2_000; round++) {
          churn(local, batch, round);
        }
        least = Math.min(least, Garbage.allocatedBytes() - before - calibration);
      }
      assertTrue(least < 4_096, "200,000 calls allocated " + least + " B in the least of three passes");
    }
  }

  /** One round: the batch through {@code tryAllocate} on even rounds, {@code allocate} on odd ones, then freed. */
  private static void churn(MempoolLocal local, long[] batch, int round) {
    for (int i = 0; i < batch.length; i++) {
      batch[i] = (round & 1) == 0 ? local.tryAllocate() : local.allocate();
    }
    for (long h : batch) {
      local.free(h);
    }
  }
}
