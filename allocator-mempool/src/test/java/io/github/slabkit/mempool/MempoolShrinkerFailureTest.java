package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A blocking mempool allocation while a foreign shrinker on the backing cache's budget throws: it never
 * fails (the mempool contract) and never sees the shrinker's exception; the shrinkers after the throwing
 * one are still asked, and a waiter is still served by a free.
 */
class MempoolShrinkerFailureTest {
  private static final long OBJ = 64;

  private static SlabCache cache(String name, MemoryBudget budget) {
    return SlabCache.builder(name).objectSize(OBJ).objectsPerSlab(1).budget(budget)
        .maxWait(Duration.ofMillis(5)).build();
  }

  @Test
  void aBlockingAllocationGetsMemoryAShrinkerAfterTheThrowingOneReleases() {
    MemoryBudget budget = MemoryBudget.ofBytes("mp-shrinker-throws", 2 * OBJ);
    AtomicInteger thrown = new AtomicInteger();
    try (MemoryBudget.Registration bad =
            budget.register(
                w -> {
                  thrown.incrementAndGet();
                  throw new IllegalStateException("foreign shrinker is broken");
                });
        SlabCache c = cache("mp-shrinker-throws", budget)) {
      Mempool p = Mempool.builder("mp-shrinker-throws-pool", c).minNr(1)
          .waitTimeout(Duration.ofMillis(10)).build();
      assertTrue(budget.tryCharge(OBJ)); // the budget is full now
      AtomicInteger asked = new AtomicInteger();
      MemoryBudget.Registration good =
          budget.register(
              w -> {
                if (asked.getAndIncrement() == 0) {
                  budget.credit(OBJ);
                  return OBJ;
                }
                return 0;
              });
      long a = p.allocate(); // the reserve
      long b = p.allocate(); // reserve empty: the backing cache after reclaim
      assertNotEquals(ObjectAllocator.NO_HANDLE, b);
      assertNotEquals(a, b);
      assertTrue(thrown.get() >= 1, "the throwing shrinker was asked");
      assertTrue(asked.get() >= 1, "and the one after it too");
      good.close();
      p.free(a);
      p.free(b);
      p.close();
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void aWaiterIsServedByAFreeWhileTheShrinkerKeepsThrowing() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("mp-shrinker-throws-wait", OBJ);
    try (MemoryBudget.Registration bad =
            budget.register(w -> { throw new IllegalStateException("foreign shrinker is broken"); });
        SlabCache c = cache("mp-shrinker-throws-wait", budget)) {
      Mempool p = Mempool.builder("mp-shrinker-throws-wait-pool", c).minNr(1)
          .waitTimeout(Duration.ofMillis(5)).build();
      long a = p.allocate();
      // A timed allocation returns 0 (no exception) when nothing comes.
      assertEquals(ObjectAllocator.NO_HANDLE, p.tryAllocate(30, TimeUnit.MILLISECONDS));
      CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(p::allocate);
      Thread.sleep(50); // the waiter retries the backing cache (and its reclaim) several times meanwhile
      assertTrue(!waiter.isDone() || !waiter.isCompletedExceptionally(), "the waiter must not fail");
      p.free(a);
      long got = waiter.get(10, TimeUnit.SECONDS);
      assertEquals(a, got);
      p.free(got);
      p.close();
      assertEquals(0, c.slabStatistics().activeObjects());
      assertTrue(budget.shrinkerFailures() >= 1);
    }
  }
}
