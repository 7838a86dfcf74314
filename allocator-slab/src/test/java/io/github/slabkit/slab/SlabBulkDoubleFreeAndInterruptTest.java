package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The second outside adversary round on the slab cache, public API only: a constructor that throws on the
 * k-th call under bulk calls on virtual threads, double frees through sheaf, cache, context and stash, and
 * interrupts of the waits. After each, live counts and budget return to their baseline.
 */
class SlabBulkDoubleFreeAndInterruptTest {
  private static final int PER_SLAB = 8;
  private static final long OBJ = 64;
  private static final long SLAB = OBJ * PER_SLAB;

  /** Throws on the calls from {@code failAt} on (1-based) while armed. */
  private static final class KthConstructor implements ObjectConstructor {
    final AtomicInteger calls = new AtomicInteger();
    volatile int failAt = Integer.MAX_VALUE;

    @Override
    public void construct(MemorySegment object) {
      if (calls.incrementAndGet() >= failAt) {
        throw new IllegalStateException("constructor failed on purpose");
      }
    }
  }

  private static SlabCache cache(String name, MemoryBudget budget, ObjectConstructor ctor) {
    return SlabCache.builder(name)
        .objectSize(OBJ)
        .objectsPerSlab(PER_SLAB)
        .magazineSize(4)
        .budget(budget)
        .constructor(ctor)
        .maxWait(Duration.ofMillis(50))
        .build();
  }

  private static <T> T onVirtualThread(java.util.concurrent.Callable<T> body) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    Thread.ofVirtual().start(
        () -> {
          try {
            f.complete(body.call());
          } catch (Throwable t) {
            f.completeExceptionally(t);
          }
        });
    return f.get(10, TimeUnit.SECONDS);
  }

  /**
   * A bulk call on a virtual thread (stripes, not a thread cache) that grows three slabs and whose constructor
   * throws in the middle of the second: all or nothing, the charge of the failed slab credited, and the cache
   * usable afterwards with every count back to its baseline.
   */
  @Test
  void aBulkOnAVirtualThreadWhoseConstructorThrowsMidwayHoldsNothing() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-vbulk", 4 * SLAB);
    KthConstructor ctor = new KthConstructor();
    try (SlabCache c = cache("probe2-vbulk", budget, ctor)) {
      ctor.failAt = PER_SLAB + 3;
      long[] dst = new long[3 * PER_SLAB];
      Exception e =
          assertThrows(Exception.class, () -> onVirtualThread(() -> {
            c.allocateBulk(dst, dst.length);
            return null;
          }));
      assertTrue(String.valueOf(e.getCause()).contains("on purpose"), "cause: " + e.getCause());
      assertEquals(0, c.slabStatistics().activeObjects());
      assertTrue(budget.used() <= SLAB, "at most the first slab, constructed and empty, is kept: " + budget.used());
      assertThrows(Exception.class, () -> onVirtualThread(() -> c.tryPrefill(2 * PER_SLAB)));
      assertEquals(0, c.slabStatistics().activeObjects());
      ctor.failAt = Integer.MAX_VALUE;
      Set<Long> seen = new HashSet<>();
      onVirtualThread(() -> {
        c.allocateBulk(dst, dst.length);
        for (long h : dst) {
          assertTrue(seen.add(h), "handed out twice");
        }
        c.freeBulk(dst, dst.length);
        return null;
      });
      assertEquals(0, c.slabStatistics().activeObjects());
      c.shrink();
      assertEquals(0, budget.used());
    }
  }

  /**
   * One object freed through every path: the sheaf it came from (its close), the cache, a context, a bulk free
   * and a stash. Only the first is accepted; a stashed object is refused by every free until unstashed; the
   * counts return to zero and no object is handed out twice.
   */
  @Test
  void doubleFreesThroughSheafCacheContextBulkAndStashAreAllRefused() {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-paths", 2 * SLAB);
    KthConstructor ctor = new KthConstructor();
    try (SlabCache c = cache("probe2-paths", budget, ctor)) {
      Sheaf sheaf = c.prefill(4);
      long a = sheaf.allocate();
      long b = sheaf.allocate();
      c.free(a);
      try (SlabLocal local = c.local()) {
        assertThrows(InvalidHandleException.class, () -> local.free(a));
        assertThrows(InvalidHandleException.class, () -> local.freeBulk(new long[] {a}, 1));
        assertThrows(InvalidHandleException.class, () -> c.stash(a));
        c.stash(b);
        assertThrows(InvalidHandleException.class, () -> c.free(b));
        assertThrows(InvalidHandleException.class, () -> local.free(b));
        assertThrows(InvalidHandleException.class, () -> c.freeBulk(new long[] {b}, 1));
        c.unstash(b);
        local.free(b);
      }
      sheaf.close();
      sheaf.close();
      assertThrows(IllegalStateException.class, sheaf::allocate);
      assertEquals(0, c.slabStatistics().activeObjects());
      assertTrue(c.slabStatistics().doubleFrees() >= 6);
      long[] all = new long[2 * PER_SLAB];
      c.allocateBulk(all, all.length);
      Set<Long> seen = new HashSet<>();
      for (long h : all) {
        assertTrue(seen.add(h), "handed out twice");
      }
      assertEquals(0, c.tryAllocate());
      c.freeBulk(all, all.length);
      assertEquals(0, c.slabStatistics().activeObjects());
      c.shrink();
      assertEquals(0, budget.used());
    }
  }

  /**
   * A timed allocation waiting for budget is ended by an interrupt (InterruptedException, nothing held); a
   * blocking {@code allocate()} is not ended by one and keeps the interrupt status; neither leaks.
   */
  @Test
  void interruptsEndTimedWaitsOnlyAndLoseNothing() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-intr", SLAB);
    try (SlabCache c = cache("probe2-intr", budget, new KthConstructor())) {
      long[] all = new long[PER_SLAB];
      c.allocateBulk(all, all.length);
      CompletableFuture<Throwable> timed = new CompletableFuture<>();
      Thread t =
          Thread.ofPlatform().daemon().start(
              () -> {
                try {
                  long h = c.tryAllocate(30, TimeUnit.SECONDS);
                  timed.complete(new AssertionError("got 0x" + Long.toHexString(h)));
                } catch (Throwable e) {
                  timed.complete(e);
                }
              });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (budget.waitingThreads() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      t.interrupt();
      Throwable r = timed.get(5, TimeUnit.SECONDS);
      assertTrue(r instanceof InterruptedException, "got " + r);
      Thread.currentThread().interrupt();
      try {
        long t0 = System.nanoTime();
        assertThrows(AllocationFailedException.class, c::allocate);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40), "the interrupt ended the wait");
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status was lost");
      } finally {
        Thread.interrupted();
      }
      assertEquals(PER_SLAB, c.slabStatistics().activeObjects());
      c.freeBulk(all, all.length);
      assertEquals(0, c.slabStatistics().activeObjects());
      c.shrink();
      assertEquals(0, budget.used());
    }
  }

  /**
   * A close racing a bulk allocation that waits for budget on a virtual thread: the close neither hangs nor
   * waits for the bulk, and the bulk ends with AllocatorClosedException (as the close documents), not a hang
   * or an index error.
   */
  @Test
  void aCloseRacingAWaitingVirtualThreadBulkEndsItWithTheClosedException() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-closebulk", SLAB);
    SlabCache c =
        SlabCache.builder("probe2-closebulk").objectSize(OBJ).objectsPerSlab(PER_SLAB).budget(budget)
            .maxWait(Duration.ofSeconds(30)).build();
    long[] all = new long[PER_SLAB];
    c.allocateBulk(all, all.length);
    CompletableFuture<Throwable> bulk = new CompletableFuture<>();
    Thread.ofVirtual().start(
        () -> {
          try {
            c.allocateBulk(new long[2], 2);
            bulk.complete(new AssertionError("bulk succeeded"));
          } catch (Throwable e) {
            bulk.complete(e);
          }
        });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (budget.waitingThreads() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    CompletableFuture<Void> close = CompletableFuture.runAsync(c::close);
    close.get(5, TimeUnit.SECONDS);
    Throwable r = bulk.get(5, TimeUnit.SECONDS);
    assertTrue(r instanceof AllocatorClosedException, "got " + r);
    assertEquals(PER_SLAB, c.leakedObjects());
  }
}
