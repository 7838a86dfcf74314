package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Failure paths and conservation, tried as an outside adversary would: the free path of the mempool with a
 * misbehaving backing allocator, the bulk defaults, the counters across every kind of thread and context,
 * and context misuse. Every scenario checks conservation afterwards.
 */
class MempoolFailurePathsAndCountersTest {

  /** A backing allocator whose calls can be made to throw at chosen points, and can run hooks in free. */
  private static final class Scripted extends ForwardingAllocator {
    final TestAllocator test;
    volatile int tryAllocatesBeforeThrow = Integer.MAX_VALUE;
    volatile int freesToRefuse;
    volatile int stashesToRefuse;
    volatile Runnable beforeFree = () -> {};

    Scripted(TestAllocator test) {
      super(test);
      this.test = test;
    }

    @Override
    public synchronized long tryAllocate() {
      int n = tryAllocatesBeforeThrow;
      if (n == 0) {
        throw new IllegalStateException("tryAllocate refused on purpose");
      }
      if (n != Integer.MAX_VALUE) {
        tryAllocatesBeforeThrow = n - 1;
      }
      return super.tryAllocate();
    }

    @Override
    public long tryAllocate(long timeout, java.util.concurrent.TimeUnit unit) {
      return tryAllocate();
    }

    @Override
    public void stash(long handle) {
      synchronized (this) {
        if (stashesToRefuse > 0) {
          stashesToRefuse--;
          throw new IllegalStateException("stash refused on purpose");
        }
      }
      super.stash(handle);
    }

    @Override
    public void free(long handle) {
      synchronized (this) {
        if (freesToRefuse > 0) {
          freesToRefuse--;
          throw new IllegalStateException("free refused on purpose");
        }
      }
      Runnable r = beforeFree;
      beforeFree = () -> {};
      r.run();
      super.free(handle);
    }
  }

  private static Scripted scripted(String name, int capacity) {
    return new Scripted(new TestAllocator(name, 32, capacity, name.hashCode()));
  }

  // ---------------------------------------------------------------- defects

  /**
   * {@code tryAllocateBulk} is all or nothing ({@link ObjectAllocator#tryAllocateBulk}: "false if none
   * were"), and the pool's class comment says it frees what it took on a miss. When the backing allocator
   * throws part-way, the objects taken before the throw must not be lost either.
   */
  @Test
  void tryAllocateBulkWhoseBackingThrowsPartWayLosesNothing() {
    Scripted b = scripted("fp-trybulk-throw", 16);
    Mempool pool = Mempool.builder("fp-trybulk-throw", b).minNr(2).build();
    b.tryAllocatesBeforeThrow = 2; // the first two objects come from the backing, the third call throws
    long[] dst = new long[4];
    assertThrows(IllegalStateException.class, () -> pool.tryAllocateBulk(dst, 4));
    b.tryAllocatesBeforeThrow = Integer.MAX_VALUE;
    assertEquals(0, pool.mempoolStatistics().liveObjects(),
        "the two objects taken before the backing threw were given back: " + pool.mempoolStatistics());
    assertEquals(2, b.test.live(), "only the reserve's objects are allocated in the backing allocator");
    pool.close(); // throws "closed with 2 object(s) still allocated" when they were lost
    assertEquals(0, b.test.live());
  }

  /** The same through a context: {@link MempoolLocal#tryAllocateBulk} is all or nothing too. */
  @Test
  void aContextsTryAllocateBulkWhoseBackingThrowsPartWayLosesNothing() {
    Scripted b = scripted("fp-local-trybulk-throw", 16);
    Mempool pool = Mempool.builder("fp-local-trybulk-throw", b).minNr(2).build();
    long[] dst = new long[4];
    try (MempoolLocal local = pool.local()) {
      b.tryAllocatesBeforeThrow = 2;
      assertThrows(IllegalStateException.class, () -> local.tryAllocateBulk(dst, 4));
      b.tryAllocatesBeforeThrow = Integer.MAX_VALUE;
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects(),
        "the objects taken before the backing threw were given back: " + pool.mempoolStatistics());
    assertEquals(2, b.test.live(), "only the reserve's objects are allocated in the backing allocator");
    pool.close();
    assertEquals(0, b.test.live());
  }

  // ---------------------------------------------------------------- passing scenarios kept as regressions

  /** A free that the backing allocator refuses (reserve full) changes nothing and can be retried. */
  @Test
  void aFreeTheBackingRefusesChangesNothingAndCanBeRetried() {
    Scripted b = scripted("fp-free-refused", 16);
    Mempool pool = Mempool.builder("fp-free-refused", b).minNr(2).build();
    long h = pool.allocate();
    MempoolStatistics before = pool.mempoolStatistics();
    b.freesToRefuse = 1;
    assertThrows(IllegalStateException.class, () -> pool.free(h));
    MempoolStatistics after = pool.mempoolStatistics();
    assertEquals(before.frees(), after.frees(), "a refused free is not counted");
    assertEquals(1, after.liveObjects());
    assertEquals(2, after.reserveLevel());
    pool.free(h);
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, b.test.live());
  }

  /** A free into a short reserve whose stash the backing refuses changes nothing and can be retried. */
  @Test
  void aFreeIntoAShortReserveWhoseStashIsRefusedChangesNothing() {
    Scripted b = scripted("fp-stash-refused", 2);
    Mempool pool = Mempool.builder("fp-stash-refused", b).minNr(2).build();
    long h = pool.allocate(); // from the reserve: the backing is exhausted
    assertEquals(1, pool.reserveLevel());
    b.stashesToRefuse = 1;
    assertThrows(IllegalStateException.class, () -> pool.free(h));
    assertEquals(1, pool.reserveLevel(), "the reserve did not keep a refused object");
    assertEquals(1, pool.mempoolStatistics().liveObjects());
    pool.free(h);
    assertEquals(2, pool.reserveLevel());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, b.test.live());
  }

  /**
   * The free's second test finds the reserve short (a take raced it) and takes an object back from the
   * backing allocator, whose tryAllocate throws then: the free itself is done and counted, and nothing is
   * lost.
   */
  @Test
  void aTakeBackWhoseTryAllocateThrowsStillCompletesTheFree() {
    Scripted b = scripted("fp-takeback-throws", 4);
    Mempool pool = Mempool.builder("fp-takeback-throws", b).minNr(1).build();
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(pool.allocate());
    }
    long[] taken = new long[1];
    b.beforeFree = () -> {
      taken[0] = pool.tryAllocate(); // the reserve's only object
      b.tryAllocatesBeforeThrow = 0; // the take-back after the free throws
    };
    long h = held.remove(0);
    pool.free(h); // must not throw: the object went back
    b.tryAllocatesBeforeThrow = Integer.MAX_VALUE;
    assertNotEquals(0, taken[0]);
    MempoolStatistics s = pool.mempoolStatistics();
    assertEquals(1, s.frees(), "the free is counted once: " + s);
    assertEquals(3, s.liveObjects(), "two held and the one taken: " + s);
    pool.free(taken[0]);
    for (long x : held) {
      pool.free(x);
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    assertEquals(1, pool.reserveLevel(), "the reserve refilled");
    pool.close();
    assertEquals(0, b.test.live());
  }

  /**
   * Counters exact after join, whatever counted them: platform and virtual threads, contexts closed and
   * left open by threads that ended, the reserve and the backing, bulk and single; the same after close.
   */
  @Test
  void countersAreExactAcrossThreadKindsContextsAndCloseOverASlabCache() throws Exception {
    // One object beyond the reserve's 8: every bulk allocation of 3 reaches into the reserve.
    SlabCache slab = SlabCache.builder("fp-counters").objectSize(32).objectsPerSlab(9)
        .budget(MemoryBudget.ofBytes("fp-counters", 9 * 32)).maxWait(Duration.ofMillis(1)).build();
    countersAreExact(slab, () -> slab.slabStatistics().activeObjects());
    slab.close();
  }

  /** The same over an allocator without a thread-cache counting view (the pool's own counters). */
  @Test
  void countersAreExactAcrossThreadKindsContextsAndCloseOverAPlainAllocator() throws Exception {
    TestAllocator plain = new TestAllocator("fp-counters-plain", 32, 9, 17); // as above: 8 + 1
    countersAreExact(plain, plain::live);
  }

  private static void countersAreExact(ObjectAllocator backing, java.util.function.LongSupplier backingLive)
      throws Exception {
    Mempool pool = Mempool.builder("fp-counters-" + backing.name(), backing).minNr(8)
        .waitTimeout(Duration.ofMillis(20)).build();
    int perThread = 2_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Set<Long> liveHandles = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 12; t++) {
      int kind = t % 4;
      Runnable body = () -> {
        try {
          MempoolLocal local = kind >= 2 ? pool.local() : null;
          long[] bulk = new long[3];
          for (int i = 0; i < perThread; i++) {
            if (i % 5 == 0) {
              pool.allocateBulk(bulk, 3);
              for (long x : bulk) {
                assertTrue(liveHandles.add(x), "handed out twice");
              }
              for (long x : bulk) {
                liveHandles.remove(x);
                pool.free(x);
              }
              continue;
            }
            long h = local != null ? local.allocate() : pool.allocate();
            assertTrue(liveHandles.add(h), "handed out twice");
            liveHandles.remove(h);
            if (local != null && i % 2 == 0) {
              local.free(h);
            } else {
              pool.free(h);
            }
          }
          if (local != null && kind == 2) {
            local.close(); // kind 3 leaves it open: its thread ends with it
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      };
      threads.add(t % 2 == 0 ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
    }
    for (Thread th : threads) {
      Waiting.join(th);
    }
    assertNull(failure.get(), () -> "a worker failed: " + failure.get());
    // a late platform thread registers after the others ended (folds their counters)
    Thread late = Thread.ofPlatform().start(() -> pool.free(pool.allocate()));
    Waiting.join(late);
    MempoolStatistics s = pool.mempoolStatistics();
    long expected = 12L * perThread / 5 * 3 + 12L * (perThread - perThread / 5) + 1;
    assertEquals(expected, s.allocations(), s.toString());
    assertEquals(s.allocations(), s.backingHits() + s.reserveHits(), s.toString());
    assertTrue(s.reserveHits() > 0, "the reserve was used: " + s);
    assertEquals(expected, s.frees(), s.toString());
    assertEquals(0, s.liveObjects(), s.toString());
    assertEquals(pool.reserveLevel(), backingLive.getAsLong(), "the backing's live objects are the reserve's");
    pool.close();
    MempoolStatistics closed = pool.mempoolStatistics();
    assertEquals(s.allocations(), closed.allocations());
    assertEquals(s.frees(), closed.frees());
    assertEquals(0, closed.liveObjects());
    assertEquals(0, backingLive.getAsLong());
  }

  /** Context misuse: wrong thread, use after close, close twice, the pool closed under the context. */
  @Test
  void contextMisuseChangesNothing() throws Exception {
    TestAllocator backing = new TestAllocator("fp-misuse", 32, 16, 5);
    Mempool pool = Mempool.builder("fp-misuse", backing).minNr(2).build();
    MempoolLocal local = pool.local();
    long h = local.allocate();
    AtomicReference<Throwable> other = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        local.close();
      } catch (Throwable e) {
        other.set(e);
      }
    });
    Waiting.join(t);
    assertTrue(other.get() instanceof IllegalStateException, "close from another thread refused: " + other.get());
    local.free(h); // still open for its owner
    long h2 = local.allocate();
    local.close();
    local.close(); // idempotent
    MempoolStatistics before = pool.mempoolStatistics();
    assertThrows(IllegalStateException.class, () -> local.free(h2));
    assertThrows(IllegalStateException.class, local::allocate);
    assertThrows(IllegalStateException.class, () -> local.allocateBulk(new long[1], 1));
    assertEquals(before, pool.mempoolStatistics(), "misuse after close changes nothing");
    pool.free(h2);
    MempoolLocal open = pool.local();
    long h3 = open.allocate();
    pool.free(h3);
    pool.close();
    assertThrows(AllocatorClosedException.class, open::allocate);
    assertThrows(AllocatorClosedException.class, () -> open.free(h3));
    open.close();
    assertEquals(0, backing.live());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
  }
}
