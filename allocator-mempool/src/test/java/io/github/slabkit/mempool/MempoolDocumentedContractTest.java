package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The promises of {@link Mempool}'s method documentation that other tests do not check: the non-blocking
 * allocation never reclaims and a zero timeout reclaims without waiting, the inherited {@code
 * tryAllocateBulk} gives back what it took, refused frees change nothing, interrupts on entry, and which
 * operation each closed-pool exception names while the delegating calls still answer.
 *
 * <p>The backing slab cache waits a day for budget credit, so a call that reclaimed with waiting would hang;
 * a watchdog joins such calls for a minute and fails instead of hanging (a guard, not a measurement).
 */
class MempoolDocumentedContractTest {

  private static final int PER_SLAB = 4;
  private static final long SLAB = 64L * PER_SLAB;

  /** A slab cache of one slab's budget, waiting a day for credit, and a spy shrinker on that budget. */
  private static final class Fixture implements AutoCloseable {
    final MemoryBudget budget = MemoryBudget.ofBytes("one-slab", SLAB);
    final AtomicInteger shrinkerCalls = new AtomicInteger();
    final MemoryBudget.Registration spy =
        budget.register(
            wanted -> {
              shrinkerCalls.incrementAndGet();
              return 0;
            });
    final SlabCache backing =
        SlabCache.builder("backing")
            .objectSize(64)
            .objectsPerSlab(PER_SLAB)
            .budget(budget)
            .maxWait(Duration.ofDays(1))
            .build();
    final Mempool pool;

    Fixture(String name) {
      pool =
          Mempool.builder(name, backing)
              .minNr(2)
              .domain(ReservationDomain.create(name, Duration.ofHours(1)))
              .build();
    }

    @Override
    public void close() {
      try {
        pool.close();
      } finally {
        backing.close();
        spy.close();
      }
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
   * With the backing allocator's budget exhausted and the reserve empty, {@code tryAllocate()} (both
   * priorities) returns 0 without asking a shrinker and counts a failure each; {@code tryAllocate(0, unit)}
   * reclaims (asks the shrinkers) and returns 0 without waiting.
   */
  @Test
  void tryAllocateNeverReclaimsAndAZeroTimeoutReclaimsWithoutWaiting() throws Exception {
    try (Fixture f = new Fixture("nowait")) {
      long[] taken = new long[PER_SLAB];
      for (int i = 0; i < PER_SLAB; i++) { // two from the backing slab, then the reserve of two
        taken[i] = f.pool.tryAllocate();
        assertNotEquals(0, taken[i]);
      }
      assertEquals(0, f.pool.reserveLevel());
      long normal = onThread(Thread.ofPlatform(), () -> f.pool.tryAllocate());
      long reclaiming = onThread(Thread.ofVirtual(), () -> f.pool.tryAllocate(AllocationPriority.RECLAIMING));
      assertEquals(0, normal);
      assertEquals(0, reclaiming);
      assertEquals(0, f.shrinkerCalls.get(), "tryAllocate() must not reclaim");
      assertEquals(2, f.pool.mempoolStatistics().failures());
      long zero = onThread(Thread.ofPlatform(), () -> f.pool.tryAllocate(0, TimeUnit.SECONDS));
      assertEquals(0, zero);
      assertTrue(f.shrinkerCalls.get() >= 1, "a zero timeout must still reclaim");
      assertEquals(3, f.pool.mempoolStatistics().failures());
      assertEquals(0, f.pool.mempoolStatistics().waits(), "no call waited");
      f.pool.freeBulk(taken, PER_SLAB);
      assertEquals(2, f.pool.reserveLevel(), "frees refill the reserve first");
    }
  }

  /**
   * The inherited {@code tryAllocateBulk} that cannot be met returns {@code false}, gives back what it took
   * (the reserve refills first) and counts one failure; nothing stays out.
   */
  @Test
  void tryAllocateBulkThatCannotBeMetGivesEverythingBack() {
    try (Fixture f = new Fixture("bulk")) {
      long[] dst = new long[PER_SLAB + 1];
      assertFalse(f.pool.tryAllocateBulk(dst, dst.length));
      MempoolStatistics s = f.pool.mempoolStatistics();
      assertEquals(2, f.pool.reserveLevel());
      assertEquals(0, s.liveObjects());
      assertEquals(1, s.failures());
      assertEquals(s.allocations(), s.frees(), "every object taken was freed again");
      assertEquals(2, f.backing.slabStatistics().activeObjects(), "the backing has only the reserve out");
    }
  }

  /**
   * {@code free(0)}, a handle of another allocator and a double free throw {@link InvalidHandleException},
   * whether the object would refill the reserve or go to the backing allocator; the pool's statistics and
   * reserve do not change.
   */
  @Test
  void refusedFreesChangeNothing() {
    try (Fixture f = new Fixture("refusing");
        SlabCache other = SlabCache.builder("other").objectSize(64).build()) {
      long foreign = other.allocate();
      long a = f.pool.tryAllocate(); // both from the backing slab: the reserve stays full
      long b = f.pool.tryAllocate();
      f.pool.free(b); // the reserve is full: b goes back to the backing slab cache
      assertEquals(2, f.pool.reserveLevel());
      assertRefused(f.pool, 0L, foreign, b); // b again is a double free the backing detects

      long c = f.pool.tryAllocate(); // b again, from the backing
      long d = f.pool.tryAllocate(); // the backing is empty: from the reserve
      assertEquals(1, f.pool.reserveLevel());
      // Below minNr the pool stashes a handle in the backing cache, which vets it, before the reserve keeps it
      // (double frees into and out of the reserve: MempoolDoubleFreeTest).
      assertRefused(f.pool, 0L, foreign);

      f.pool.freeBulk(new long[] {a, c, d}, 3);
      other.free(foreign);
    }
  }

  private static void assertRefused(Mempool pool, long... handles) {
    MempoolStatistics before = pool.mempoolStatistics();
    int level = pool.reserveLevel();
    for (long bad : handles) {
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> pool.free(bad));
      assertEquals(bad, e.handle());
      assertTrue(e.getMessage().startsWith(pool.name() + ": "), e.getMessage());
      assertEquals(before, pool.mempoolStatistics(), "handle 0x" + Long.toHexString(bad));
      assertEquals(level, pool.reserveLevel(), "handle 0x" + Long.toHexString(bad));
    }
  }

  /**
   * {@code allocateInterruptibly()} with the interrupt status set throws before it takes anything, even with
   * objects at hand; {@code tryAllocate(timeout)} notices an interrupt only when it would wait, so an object
   * at hand is returned and the status kept.
   */
  @Test
  void interruptOnEntry() throws Exception {
    try (Fixture f = new Fixture("interrupts")) {
      String interruptibly =
          onThread(
              Thread.ofPlatform(),
              () -> {
                Thread.currentThread().interrupt();
                try {
                  return "returned " + f.pool.allocateInterruptibly();
                } catch (InterruptedException e) {
                  return "interrupted";
                }
              });
      assertEquals("interrupted", interruptibly);
      assertEquals(0, f.pool.mempoolStatistics().liveObjects(), "nothing may be taken");
      String timed =
          onThread(
              Thread.ofVirtual(),
              () -> {
                Thread.currentThread().interrupt();
                long h = f.pool.tryAllocate(1, TimeUnit.DAYS);
                boolean kept = Thread.interrupted();
                f.pool.free(h);
                return h != 0 && kept ? "object, status kept" : "no object";
              });
      assertEquals("object, status kept", timed);
    }
  }

  /** An operation and the name its closed-pool exception must carry. */
  private record Op(String name, Executable call) {}

  /**
   * After close, each refusing operation throws {@link AllocatorClosedException} naming the pool and itself;
   * the calls that delegate to the open backing allocator, the name and the statistics still answer.
   */
  @Test
  void everyOperationAfterCloseNamesItself() {
    try (Fixture f = new Fixture("closing")) {
      Mempool pool = f.pool;
      long live = f.backing.allocate();
      pool.close();
      Op[] ops = {
        new Op("tryAllocate", pool::tryAllocate),
        new Op("tryAllocate", () -> pool.tryAllocate(AllocationPriority.RECLAIMING)),
        new Op("tryAllocate", () -> pool.tryAllocate(1, TimeUnit.SECONDS)),
        new Op("tryAllocate", () -> pool.tryAllocateBulk(new long[1], 1)),
        new Op("allocate", pool::allocate),
        new Op("allocate", () -> pool.allocate(AllocationPriority.RECLAIMING)),
        new Op("allocate", pool::allocateInterruptibly),
        new Op("allocateBulk", () -> pool.allocateBulk(new long[1], 1)),
        new Op("free", () -> pool.free(live)),
        new Op("free", () -> pool.free(0)),
        new Op("free", () -> pool.freeBulk(new long[] {live}, 1)),
        new Op("local", pool::local),
        new Op("resize", () -> pool.resize(3)),
      };
      for (Op op : ops) {
        AllocatorClosedException x = assertThrows(AllocatorClosedException.class, op.call(), op.name());
        assertTrue(x.getMessage().startsWith("closing: " + op.name() + " after close()"), x.getMessage());
      }
      pool.checkHandle(live);
      assertEquals(f.backing.memory(live), pool.memory(live));
      assertEquals(f.backing.offset(live), pool.offset(live));
      assertEquals(64, pool.segment(live).byteSize());
      assertEquals("closing", pool.name());
      assertEquals(64, pool.objectSize());
      assertEquals(0, pool.statistics().liveObjects());
      pool.close(); // idempotent
      f.backing.free(live);
    }
  }
}
