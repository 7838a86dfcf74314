package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The promises of {@link SlabCache}'s method documentation that other tests do not check: what the
 * non-blocking calls never do (reclaim, wait), what the blocking ones do with {@code maxWait}, the budget's
 * shrinkers and interrupts, what a refused free leaves unchanged, and which operation each closed-cache
 * exception names.
 *
 * <p>The waits that must not happen are made a day long, so a call that waited would hang. A watchdog joins
 * each such call for a minute and fails instead of hanging: that is a guard against a hang, not a
 * measurement of time.
 */
class SlabCacheDocumentedContractTest {

  private static final int PER_SLAB = 8;
  private static final long SLAB = 64L * PER_SLAB;
  private static final Duration A_DAY = Duration.ofDays(1);
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

  private static SlabCache cache(String name, MemoryBudget budget, Duration maxWait) {
    return SlabCache.builder(name)
        .objectSize(64)
        .objectsPerSlab(PER_SLAB)
        .magazineSize(4)
        .budget(budget)
        .maxWait(maxWait)
        .build();
  }

  /** A shrinker that counts its calls and gives nothing back, registered beside the caches. */
  private static final class SpyShrinker implements AutoCloseable {
    final AtomicInteger calls = new AtomicInteger();
    final MemoryBudget.Registration registration;

    SpyShrinker(MemoryBudget budget) {
      registration =
          budget.register(
              wanted -> {
                calls.incrementAndGet();
                return 0;
              });
    }

    @Override
    public void close() {
      registration.close();
    }
  }

  /** Runs {@code body} on a new thread of the given kind; fails instead of hanging if it does not end. */
  private static <T> T onThread(Thread.Builder kind, Callable<T> body) throws InterruptedException {
    AtomicReference<@Nullable T> result = new AtomicReference<>();
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    Thread t =
        kind.start(
            () -> {
              try {
                result.set(body.call());
              } catch (Throwable e) {
                failure.set(e);
              }
            });
    t.join(60_000);
    assertFalse(t.isAlive(), "watchdog: the call did not return within a minute; it waited although it may not");
    Throwable f = failure.get();
    if (f != null) {
      throw new AssertionError("the call threw", f);
    }
    T r = result.get();
    if (r == null) {
      throw new AssertionError("the call returned null");
    }
    return r;
  }

  /**
   * {@code tryAllocate()}, {@code tryAllocateBulk} and {@code tryPrefill} on an exhausted budget, from a
   * platform and a virtual thread, with a {@code maxWait} of a day: each returns at once with nothing,
   * asks no shrinker, and a failed bulk call holds nothing.
   */
  @Test
  void nonBlockingCallsNeverReclaimAndNeverWait() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache holder = cache("holder", budget, A_DAY);
        SlabCache c = cache("nowait", budget, A_DAY);
        SpyShrinker spy = new SpyShrinker(budget)) {
      long[] held = new long[PER_SLAB];
      holder.allocateBulk(held, PER_SLAB); // the whole budget, live: there is nothing to reclaim
      for (Thread.Builder kind : new Thread.Builder[] {Thread.ofPlatform(), Thread.ofVirtual()}) {
        long single = onThread(kind, () -> c.tryAllocate());
        assertEquals(0, single, "tryAllocate on " + kind);
        boolean bulk = onThread(kind, () -> c.tryAllocateBulk(new long[2], 2));
        assertFalse(bulk, "tryAllocateBulk on " + kind);
        boolean noSheaf = onThread(kind, () -> c.tryPrefill(1) == null);
        assertTrue(noSheaf, "tryPrefill on " + kind);
      }
      assertEquals(0, spy.calls.get(), "a non-blocking call asked a shrinker");
      assertEquals(0, budget.waitingThreads());
      SlabStatistics s = c.slabStatistics();
      assertEquals(0, s.activeObjects(), "a failed non-blocking call holds nothing");
      assertEquals(6, s.failures(), "each call that came back empty counts one failure");
      holder.freeBulk(held, PER_SLAB);
    }
  }

  /** A timed allocation with a timeout of zero asks the shrinkers but does not wait for credit. */
  @Test
  void zeroTimeoutReclaimsWithoutWaiting() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache holder = cache("holder", budget, A_DAY);
        SlabCache c = cache("timed-zero", budget, A_DAY);
        SpyShrinker spy = new SpyShrinker(budget)) {
      long[] held = new long[PER_SLAB];
      holder.allocateBulk(held, PER_SLAB);
      long zero = onThread(Thread.ofPlatform(), () -> c.tryAllocate(0, TimeUnit.SECONDS));
      assertEquals(0, zero);
      long negative = onThread(Thread.ofVirtual(), () -> c.tryAllocate(-1, TimeUnit.DAYS));
      assertEquals(0, negative);
      assertTrue(spy.calls.get() >= 2, "a timed allocation must reclaim before it gives up");
      assertEquals(2, c.slabStatistics().failures());
      holder.freeBulk(held, PER_SLAB);
    }
  }

  /**
   * {@code allocate()} with a budget exhausted by another cache's live objects reclaims (asks the
   * shrinkers), waits {@code maxWait} and then throws an {@link AllocationFailedException} that names this
   * cache and one slab, counting a failure and holding nothing.
   */
  @Test
  void allocateReclaimsThenFailsNamingTheCache() {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache holder = cache("holder", budget, Duration.ofMillis(5));
        SlabCache c = cache("starved", budget, Duration.ofMillis(5));
        SpyShrinker spy = new SpyShrinker(budget)) {
      long[] held = new long[PER_SLAB];
      holder.allocateBulk(held, PER_SLAB);
      AllocationFailedException e = assertThrows(AllocationFailedException.class, c::allocate);
      assertEquals("starved", e.allocatorName());
      assertTrue(e.getMessage().startsWith("starved: "), e.getMessage());
      assertTrue(e.getMessage().contains("one-slab"), "the budget must be named: " + e.getMessage());
      assertEquals(SLAB, e.requestedBytes(), "the request is one new slab");
      assertTrue(spy.calls.get() >= 1, "allocate must ask the shrinkers before it fails");
      AllocationFailedException bulk =
          assertThrows(AllocationFailedException.class, () -> c.allocateBulk(new long[3], 3));
      assertEquals("starved", bulk.allocatorName());
      assertTrue(bulk.getMessage().contains("3 objects"), bulk.getMessage());
      SlabStatistics s = c.slabStatistics();
      assertEquals(2, s.failures());
      assertEquals(0, s.activeObjects());
      assertEquals(SLAB, budget.used(), "a failed allocation holds no charge");
      holder.freeBulk(held, PER_SLAB);
    }
  }

  /**
   * The wait of {@code allocate()} cannot be interrupted and keeps the interrupt status; the timed
   * allocation's wait ends with {@link InterruptedException}; and an object at hand is returned whatever the
   * interrupt status.
   */
  @Test
  void interruptsEndOnlyTheTimedWait() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache holder = cache("holder", budget, A_DAY);
        SlabCache c = cache("interrupted", budget, Duration.ofMillis(5))) {
      long[] held = new long[PER_SLAB];
      holder.allocateBulk(held, PER_SLAB);
      String blocking =
          onThread(
              Thread.ofPlatform(),
              () -> {
                Thread.currentThread().interrupt();
                try {
                  c.allocate();
                  return "allocated";
                } catch (AllocationFailedException e) {
                  return Thread.currentThread().isInterrupted() ? "failed, still interrupted" : "failed, cleared";
                }
              });
      assertEquals("failed, still interrupted", blocking);
      String timed =
          onThread(
              Thread.ofVirtual(),
              () -> {
                Thread.currentThread().interrupt();
                try {
                  return "returned " + c.tryAllocate(1, TimeUnit.DAYS);
                } catch (InterruptedException e) {
                  return "interrupted";
                }
              });
      assertEquals("interrupted", timed, "a day-long timed wait must end on the interrupt");
      assertEquals(0, c.slabStatistics().activeObjects(), "an interrupted allocation holds nothing");
      holder.freeBulk(held, PER_SLAB);
      holder.shrink(); // this thread's magazines go back, the slab is released: the budget has room again
      String atHand =
          onThread(
              Thread.ofPlatform(),
              () -> {
                Thread.currentThread().interrupt();
                long h = c.tryAllocate(1, TimeUnit.DAYS);
                boolean stillInterrupted = Thread.interrupted();
                c.free(h);
                return h != 0 && stillInterrupted ? "object, status kept" : "no object";
              });
      assertEquals("object, status kept", atHand);
    }
  }

  /**
   * {@code free(0)}, a handle of another cache, a forged slot, a slab that does not exist and a double free
   * all throw {@link InvalidHandleException}. The common statistics are unchanged; a double free only adds
   * one to {@link SlabStatistics#doubleFrees()}.
   */
  @Test
  void refusedFreesChangeNoStatistics() {
    try (SlabCache c = cache("refusing", MemoryBudget.unlimited(), A_DAY);
        SlabCache other = cache("other", MemoryBudget.unlimited(), A_DAY)) {
      long live = c.allocate();
      long freed = c.allocate();
      c.free(freed);
      long foreign = other.allocate();
      Map<String, Long> bad = new LinkedHashMap<>();
      bad.put("null", 0L);
      bad.put("foreign", foreign);
      bad.put("slot out of range", live | 0xff_ffffL);
      bad.put("no slab there", live + (1000L << 24));
      AllocatorStatistics before = c.statistics();
      SlabStatistics slabBefore = c.slabStatistics();
      for (Map.Entry<String, Long> e : bad.entrySet()) {
        InvalidHandleException x = assertThrows(InvalidHandleException.class, () -> c.free(e.getValue()));
        assertEquals(e.getValue(), x.handle(), e.getKey());
        assertTrue(x.getMessage().startsWith("refusing: "), x.getMessage());
        assertThrows(InvalidHandleException.class, () -> c.checkHandle(e.getValue()), e.getKey());
        assertEquals(before, c.statistics(), e.getKey() + " changed the statistics");
      }
      assertEquals(slabBefore.doubleFrees(), c.slabStatistics().doubleFrees());
      assertThrows(InvalidHandleException.class, () -> c.free(freed));
      assertEquals(before, c.statistics(), "a double free changed the statistics");
      assertEquals(slabBefore.doubleFrees() + 1, c.slabStatistics().doubleFrees());
      long[] batch = {live, 0L, freed};
      long survivor = c.allocate(); // the freed object comes back from the magazine: batch[2] is live again
      assertEquals(freed, survivor);
      assertThrows(InvalidHandleException.class, () -> c.freeBulk(batch, 3));
      assertEquals(1, c.slabStatistics().activeObjects(), "freeBulk frees before the bad handle, not after it");
      c.free(survivor);
      other.free(foreign);
    }
  }

  /** {@code checkHandle} and {@code segment} do not prove liveness: a freed object whose slab is kept passes. */
  @Test
  void checkHandleDoesNotCheckLiveness() {
    try (SlabCache c = cache("liveness", MemoryBudget.unlimited(), A_DAY)) {
      long h = c.allocate();
      c.free(h);
      c.checkHandle(h);
      assertEquals(c.objectSize(), c.segment(h).byteSize());
    }
  }

  /** An operation and the name its closed-cache exception must carry. */
  private record Op(String name, Executable call) {}

  /** After close, each refusing operation throws {@link AllocatorClosedException} naming the cache and itself. */
  @Test
  void everyOperationAfterCloseNamesItself() {
    SlabCache c = cache("closing", MemoryBudget.unlimited(), A_DAY);
    long h = c.allocate();
    c.free(h);
    c.close();
    Op[] ops = {
      new Op("tryAllocate", c::tryAllocate),
      new Op("allocate", c::allocate),
      new Op("tryAllocate", () -> c.tryAllocate(1, TimeUnit.SECONDS)),
      new Op("free", () -> c.free(h)),
      new Op("free", () -> c.free(0)),
      new Op("freeBulk", () -> c.freeBulk(new long[] {h}, 1)),
      new Op("freeBulk", () -> c.freeBulk(new long[0], 0)),
      new Op("checkHandle", () -> c.checkHandle(h)),
      new Op("segment", () -> c.segment(h)),
      new Op("allocateBulk", () -> c.allocateBulk(new long[1], 1)),
      new Op("allocateBulk", () -> c.allocateBulk(new long[0], 0)),
      new Op("tryAllocateBulk", () -> c.tryAllocateBulk(new long[1], 1)),
      new Op("tryAllocateBulk", () -> c.tryAllocateBulk(new long[0], 0)),
      new Op("prefill", () -> c.prefill(1)),
      new Op("tryPrefill", () -> c.tryPrefill(1)),
      new Op("local", c::local),
    };
    for (Op op : ops) {
      AllocatorClosedException x = assertThrows(AllocatorClosedException.class, op.call(), op.name());
      assertTrue(x.getMessage().startsWith("closing: " + op.name() + " after close()"), x.getMessage());
    }
    assertEquals("closing", c.name());
    assertEquals(64, c.objectSize());
    assertEquals(0, c.statistics().liveObjects());
    assertEquals(0, c.slabStatistics().totalSlabs());
    assertEquals(0, c.shrink());
    assertEquals(0, c.trim());
    assertNotEquals(0, h);
    c.close();
    assertTrue(c.isClosed());
  }

  /** An empty prefill result is {@code null}, never an empty sheaf. */
  @Test
  void tryPrefillThatCannotBeMetReturnsNull() {
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    try (SlabCache c = cache("sheafless", budget, A_DAY)) {
      assertNull(c.tryPrefill(PER_SLAB + 1));
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }
  /**
   * A platform thread's allocations and frees served by its magazines, and the access path ({@code memory},
   * {@code offset}) and {@code checkHandle}, allocate nothing on the heap. The batch fits one magazine, so
   * every call after the warm-up takes the fast path.
   */
  @Test
  void fastPathAndAccessPathAllocateNoGarbage() {
    try (SlabCache c =
        SlabCache.builder("no-garbage").objectSize(32).objectsPerSlab(64).magazineSize(64).build()) {
      long[] batch = new long[32];
      long sink = 0;
      for (int round = 0; round < 4_000; round++) {
        sink += churn(c, batch, round);
      }
      long probe = Garbage.allocatedBytes();
      long calibration = Garbage.allocatedBytes() - probe;
      long before = Garbage.allocatedBytes();
      for (int round = 0; round < 4_000; round++) {
        sink += churn(c, batch, round);
      }
      long garbage = Garbage.allocatedBytes() - before - calibration;
      assertTrue(garbage < 4_096, "256,000 allocations, accesses and frees allocated " + garbage + " B");
      assertNotEquals(-1, sink);
    }
  }

  /** One round: allocate the batch (both blocking modes), touch every object, check it, free it. */
  private static long churn(SlabCache c, long[] batch, int round) {
    long sum = 0;
    for (int i = 0; i < batch.length; i++) {
      batch[i] = (i & 1) == 0 ? c.tryAllocate() : c.allocate();
    }
    for (long h : batch) {
      c.checkHandle(h);
      INT.set(c.memory(h), c.offset(h), round);
      sum += c.offset(h);
    }
    for (long h : batch) {
      c.free(h);
    }
    return sum;
  }
}
