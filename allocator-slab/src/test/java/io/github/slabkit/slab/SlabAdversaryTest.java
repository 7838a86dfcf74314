package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Failure paths an outside checker would try: a constructor that throws while a debug-mode bulk or a sheaf
 * grows a slab must leave no object, charge or native memory behind (issue 11's promise, in every path).
 */
class SlabAdversaryTest {
  private static final int PER_SLAB = 8;
  private static final long SLAB = 64L * PER_SLAB;

  /** Throws from the {@code failAt}-th construction on (1-based). */
  private static ObjectConstructor failingFrom(int failAt) {
    AtomicInteger calls = new AtomicInteger();
    return (MemorySegment object) -> {
      if (calls.incrementAndGet() >= failAt) {
        throw new IllegalStateException("constructor failed on purpose");
      }
    };
  }

  private static SlabCache cache(String name, MemoryBudget budget, ObjectConstructor ctor, boolean debug) {
    SlabCacheBuilder b =
        SlabCache.builder(name)
            .objectSize(64)
            .objectsPerSlab(PER_SLAB)
            .magazineSize(4)
            .budget(budget)
            .constructor(ctor)
            .throwOnLeak(true);
    if (debug) {
      b.debug(SlabDebug.of("FZPU"));
    }
    return b.build();
  }

  private static void assertBulkLosesNothing(boolean debug, boolean local, boolean blocking) {
    MemoryBudget budget = MemoryBudget.ofBytes("adv-bulk", 4 * SLAB);
    // the first slab constructs; the second slab's third object throws
    SlabCache c = cache("adv-bulk", budget, failingFrom(PER_SLAB + 3), debug);
    long[] dst = new long[PER_SLAB + 4];
    if (local) {
      try (SlabLocal l = c.local()) {
        if (blocking) {
          assertThrows(IllegalStateException.class, () -> l.allocateBulk(dst, dst.length));
        } else {
          assertThrows(IllegalStateException.class, () -> l.tryAllocateBulk(dst, dst.length));
        }
      }
    } else if (blocking) {
      assertThrows(IllegalStateException.class, () -> c.allocateBulk(dst, dst.length));
    } else {
      assertThrows(IllegalStateException.class, () -> c.tryAllocateBulk(dst, dst.length));
    }
    assertEquals(0, c.slabStatistics().activeObjects(), "a bulk call that threw must hold nothing");
    io.github.slabkit.allocator.AllocatorStatistics st = c.statistics();
    assertEquals(st.liveObjects(), st.allocations() - st.frees(), "the counters must balance: " + st);
    assertEquals(0, st.liveObjects(), st.toString());
    assertEquals("", c.leakReport());
    assertDoesNotThrow(c::close, "every object must be back: close() finds no leak");
    assertEquals(0, budget.used(), "close() must credit every slab");
  }

  @Test
  void debugBulkLosesNothingWhenGrowthThrows() {
    assertBulkLosesNothing(true, false, true);
    assertBulkLosesNothing(true, false, false);
  }

  @Test
  void debugContextBulkLosesNothingWhenGrowthThrows() {
    assertBulkLosesNothing(true, true, true);
    assertBulkLosesNothing(true, true, false);
  }

  @Test
  void contextBulkLosesNothingWhenGrowthThrows() {
    assertBulkLosesNothing(false, true, true);
    assertBulkLosesNothing(false, true, false);
    assertBulkLosesNothing(false, false, false);
  }

  @Test
  void debugPrefillLosesNothingWhenGrowthThrows() {
    MemoryBudget budget = MemoryBudget.ofBytes("adv-sheaf", 4 * SLAB);
    SlabCache c = cache("adv-sheaf", budget, failingFrom(PER_SLAB + 3), true);
    assertThrows(IllegalStateException.class, () -> c.prefill(PER_SLAB + 4));
    assertThrows(IllegalStateException.class, () -> c.tryPrefill(PER_SLAB + 4));
    assertEquals(0, c.slabStatistics().activeObjects());
    assertDoesNotThrow(c::close);
    assertEquals(0, budget.used());
  }

  /** One allocation path of the cache, called on the thread that runs the check. */
  private interface Path {
    long allocate(SlabCache c) throws Exception;
  }

  /**
   * Every single-object path (cache and context; blocking, non-blocking, timed; platform and virtual thread;
   * debug mode or not) that grows a slab whose constructor throws loses no object, charge or memory.
   */
  @Test
  void everySingleAllocationPathLosesNothingWhenGrowthThrows() throws Exception {
    Path[] paths = {
      SlabCache::allocate,
      SlabCache::tryAllocate,
      c -> c.tryAllocate(10, java.util.concurrent.TimeUnit.MILLISECONDS),
      c -> {
        try (SlabLocal l = c.local()) {
          return l.allocate();
        }
      },
      c -> {
        try (SlabLocal l = c.local()) {
          return l.tryAllocate();
        }
      },
      c -> {
        try (SlabLocal l = c.local()) {
          return l.tryAllocate(10, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      },
    };
    for (boolean debug : new boolean[] {false, true}) {
      for (boolean virtual : new boolean[] {false, true}) {
        for (int p = 0; p < paths.length; p++) {
          String what = "path " + p + (debug ? " debug" : "") + (virtual ? " virtual" : "");
          MemoryBudget budget = MemoryBudget.ofBytes("adv-single", 4 * SLAB);
          SlabCache c = cache("adv-single", budget, failingFrom(1), debug);
          Path path = paths[p];
          java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
          Runnable r = () -> {
            try {
              path.allocate(c);
            } catch (Throwable t) {
              thrown.set(t);
            }
          };
          Thread t = virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r);
          t.join(5_000);
          assertFalse(t.isAlive(), what + " hangs");
          assertTrue(thrown.get() instanceof IllegalStateException, what + ": " + thrown.get());
          assertEquals(0, c.slabStatistics().activeObjects(), what);
          io.github.slabkit.allocator.AllocatorStatistics st = c.statistics();
          assertEquals(0, st.allocations() - st.frees(), what + ": the counters must balance: " + st);
          assertEquals(0, c.slabStatistics().totalSlabs(), what);
          assertEquals(0, budget.used(), what + ": the failed slab's charge");
          assertDoesNotThrow(c::close, what);
        }
      }
    }
  }

  /**
   * A shrinker of another component that throws while a blocking allocation reclaims: the allocation may
   * fail with it, but holds nothing afterwards, and the cache keeps working and closes clean.
   */
  @Test
  void aThrowingForeignShrinkerLosesNothing() throws Exception {
    for (int p = 0; p < 4; p++) {
      MemoryBudget budget = MemoryBudget.ofBytes("adv-shrinker", 2 * SLAB);
      try (MemoryBudget.Registration reg = budget.register(wanted -> {
        throw new IllegalStateException("shrinker failed on purpose");
      })) {
        SlabCache c = cache("adv-shrinker", budget, o -> {}, false);
        long[] mine = new long[2 * PER_SLAB]; // every object of the two slabs the budget holds
        c.allocateBulk(mine, mine.length); // two slabs charged: the budget is full
        long[] more = new long[PER_SLAB];
        final int path = p;
        try {
          switch (path) {
            case 0 -> c.allocate();
            case 1 -> c.allocateBulk(more, more.length);
            case 2 -> c.tryAllocate(20, java.util.concurrent.TimeUnit.MILLISECONDS);
            default -> c.prefill(PER_SLAB - 1);
          }
        } catch (RuntimeException expected) {
          // the shrinker's exception or AllocationFailedException: either is fine, nothing may be held
        }
        assertEquals(mine.length, c.slabStatistics().activeObjects(), "path " + path);
        c.freeBulk(mine, mine.length);
        assertEquals(0, c.slabStatistics().activeObjects(), "path " + path);
        assertDoesNotThrow(c::close, "path " + path);
        assertEquals(0, budget.used(), "path " + path);
      }
    }
  }

  /**
   * A bulk demand larger than the budget could ever hold fails at once (not after the cache's maxWait, and
   * never by waiting forever), through the cache, a sheaf and a context, and holds nothing.
   */
  @Test
  void aBulkLargerThanTheBudgetFailsAtOnceAndHoldsNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("adv-huge", 2 * SLAB);
    SlabCache c =
        SlabCache.builder("adv-huge").objectSize(64).objectsPerSlab(PER_SLAB).budget(budget)
            .maxWait(java.time.Duration.ofSeconds(30)).throwOnLeak(true).build();
    long h = c.allocate();
    int tooMany = 2 * PER_SLAB + 1;
    long t0 = System.nanoTime();
    assertThrows(AllocationFailedException.class, () -> c.allocateBulk(new long[tooMany], tooMany));
    assertThrows(AllocationFailedException.class, () -> c.prefill(tooMany));
    try (SlabLocal l = c.local()) {
      assertThrows(AllocationFailedException.class, () -> l.allocateBulk(new long[tooMany], tooMany));
    }
    assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(5), "must fail at once");
    assertEquals(1, c.slabStatistics().activeObjects());
    c.free(h);
    assertDoesNotThrow(c::close);
    assertEquals(0, budget.used());
  }

  /**
   * Extreme builder values are refused with {@link IllegalArgumentException} naming the problem, never an
   * arithmetic overflow, a negative array size or an attempt to map exabytes.
   */
  @Test
  void extremeBuilderValuesAreRefusedClearly() {
    java.util.List<java.util.function.Supplier<SlabCacheBuilder>> bad = java.util.List.of(
        () -> SlabCache.builder("x").objectSize(Long.MAX_VALUE),
        () -> SlabCache.builder("x").objectSize(Long.MAX_VALUE / 2),
        () -> SlabCache.builder("x").objectSize(1L << 40).objectsPerSlab(1 << 30),
        () -> SlabCache.builder("x").objectSize(64).objectsPerSlab(Integer.MAX_VALUE),
        () -> SlabCache.builder("x").objectSize(64).alignment(1L << 62),
        () -> SlabCache.builder("x").objectSize(64).alignment(3),
        () -> SlabCache.builder("x").objectSize(64).alignment(-8),
        () -> SlabCache.builder("x").objectSize(64).objectsPerSlab(0),
        () -> SlabCache.builder("x").objectSize(64).objectsPerSlab(-1),
        () -> SlabCache.builder("x").objectSize(64).slabSize(-1),
        () -> SlabCache.builder("x").objectSize(-1),
        () -> SlabCache.builder("x").objectSize(64).magazineSize(0),
        () -> SlabCache.builder("x").objectSize(64).maxWait(java.time.Duration.ofMillis(-1)),
        () -> SlabCache.builder("x").objectSize(64).leakSampling(-1));
    for (int i = 0; i < bad.size(); i++) {
      int k = i;
      Throwable t = org.junit.jupiter.api.Assertions.assertThrows(Throwable.class, () -> {
        try (SlabCache c = bad.get(k).get().build()) {
          c.allocate();
        }
      }, "case " + k);
      assertTrue(t instanceof IllegalArgumentException, "case " + k + ": " + t);
    }
  }

  /**
   * close() racing allocations, frees and writes on other threads (outside the contract, which says close
   * must not race, but what a careless user does): no hang, no crash, only the exception types close()'s
   * javadoc names. Before the layer refused allocations once closed and the slow paths read each magazine
   * count once, close's drain zeroed a count between two reads of the owner's slow path, which then threw
   * ArrayIndexOutOfBoundsException (index -1) within a few rounds.
   */
  @Test
  void closeRacingAllocateAndFreeNeitherHangsNorCrashes() throws Exception {
    for (int round = 0; round < 60; round++) {
      SlabCache c = SlabCache.builder("adv-race").objectSize(64).objectsPerSlab(16).magazineSize(4).build();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicReference<Throwable> odd = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.List<Thread> threads = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        boolean virtual = i == 2;
        boolean context = i == 3; // a SlabLocal, timed allocations
        Runnable r = () -> {
          try {
            go.await();
            long[] held = new long[8];
            SlabLocal local = context ? c.local() : null;
            while (true) {
              for (int k = 0; k < held.length; k++) {
                held[k] = local != null ? local.tryAllocate(1, java.util.concurrent.TimeUnit.SECONDS) : c.allocate();
                if (held[k] == 0) {
                  throw new AssertionError("a timed allocation gave up although the cache had room");
                }
                c.memory(held[k]).set(java.lang.foreign.ValueLayout.JAVA_LONG, c.offset(held[k]), k);
              }
              if (local != null) {
                local.freeBulk(held, held.length);
              } else {
                c.freeBulk(held, held.length);
              }
            }
          } catch (io.github.slabkit.allocator.AllocatorClosedException expected) {
            // the documented answer once the close is seen
          } catch (IllegalStateException expected) {
            // a closed slab's memory: refused by FFM, not a crash
          } catch (io.github.slabkit.allocator.InvalidHandleException expected) {
            // memory(h) of an object whose slab the close released
          } catch (Throwable t) {
            odd.compareAndSet(null, t);
          }
        };
        threads.add(virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r));
      }
      go.countDown();
      Thread.sleep(2);
      try {
        c.close();
      } catch (IllegalStateException leak) {
        // objects held by the workers at close are a leak report, as documented
      }
      for (Thread t : threads) {
        t.join(5_000);
        assertFalse(t.isAlive(), "a worker hangs after close");
      }
      if (odd.get() != null) {
        throw new AssertionError("round " + round + ": undocumented exception", odd.get());
      }
    }
  }

  /**
   * An allocation waiting for memory when the cache closes (outside the contract too) does not wait out
   * its maxWait: it sees the closed layer at its next reclaim round (every 10 ms) and throws
   * AllocatorClosedException, holding nothing.
   */
  @Test
  void anAllocationWaitingForMemoryWhenTheCacheClosesGetsTheClosedException() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("adv-close-wait", SLAB);
    SlabCache c =
        SlabCache.builder("adv-close-wait").objectSize(64).objectsPerSlab(PER_SLAB).budget(budget)
            .maxWait(java.time.Duration.ofSeconds(30)).throwOnLeak(true).build();
    long[] all = new long[PER_SLAB];
    c.allocateBulk(all, all.length); // the budget's only slab, all of it
    java.util.concurrent.atomic.AtomicReference<Throwable> got = new java.util.concurrent.atomic.AtomicReference<>();
    Thread waiter = Thread.ofPlatform().start(() -> {
      try {
        c.allocate();
        got.set(new AssertionError("allocated from a full budget"));
      } catch (Throwable t) {
        got.set(t);
      }
    });
    while (waiter.getState() != Thread.State.TIMED_WAITING && waiter.isAlive()) {
      Thread.onSpinWait();
    }
    long t0 = System.nanoTime();
    IllegalStateException leak = assertThrows(IllegalStateException.class, c::close); // `all` is leaked
    assertTrue(leak.getMessage().contains(PER_SLAB + " objects"), leak.getMessage());
    waiter.join(5_000);
    assertFalse(waiter.isAlive(), "the waiter still waits after close");
    assertTrue(got.get() instanceof io.github.slabkit.allocator.AllocatorClosedException, String.valueOf(got.get()));
    assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
    assertEquals(SLAB, budget.used(), "the leaked slab stays charged, nothing more");
  }

  /**
   * Virtual threads that take a context, use it and die without closing it: shrink() returns what their
   * contexts cached (the class documentation's promise), so nothing stays cached and close finds no leak.
   */
  @Test
  void contextsOfDeadVirtualThreadsAreReclaimedByShrink() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("adv-vt", 64 * SLAB);
    SlabCache c = cache("adv-vt", budget, o -> {}, false);
    // Joined threads, not an executor: an executor's close waits for the tasks, and a virtual thread is
    // still alive for a moment after its task returns, when shrink() must leave its context alone.
    java.util.List<Thread> threads = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      threads.add(Thread.ofVirtual().start(() -> {
        SlabLocal l = c.local(); // never closed: the thread dies with it
        long[] hs = new long[3];
        for (int k = 0; k < hs.length; k++) {
          hs[k] = l.allocate();
        }
        for (long h : hs) {
          l.free(h);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    c.shrink();
    io.github.slabkit.allocator.AllocatorStatistics st = c.statistics();
    assertEquals(0, st.liveObjects(), st.toString());
    assertEquals(0, st.cachedObjects(), "dead contexts' magazines must be reclaimed: " + st);
    assertEquals(0, budget.used(), "every slab released: " + st);
    assertDoesNotThrow(c::close);
  }
}
