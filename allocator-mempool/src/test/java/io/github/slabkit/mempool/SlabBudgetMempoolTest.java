package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mempools over real slab caches whose shared memory budget is exhausted by a third cache: the slab cache's
 * own {@code allocate()} fails, the pool's never does, and the two-pool workload completes through
 * reservations.
 */
class SlabBudgetMempoolTest {
  private MemoryBudget budget;
  private SlabCache cacheA;
  private SlabCache cacheB;
  private SlabCache hog;
  private final List<Long> hogged = new ArrayList<>();
  private Mempool a;
  private Mempool b;

  @BeforeEach
  void setUp() {
    Reservation.checkedMode(true);
    budget = MemoryBudget.ofBytes("tight", 1 << 20);
    cacheA = cache("states", 64);
    cacheB = cache("buffers", 256);
    a = Mempool.builder("state-pool", cacheA).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
    b = Mempool.builder("buffer-pool", cacheB).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
    hog = cache("hog", 1024);
    for (long h; (h = hog.tryAllocate()) != 0; ) {
      hogged.add(h);
    }
    assertTrue(budget.available() < 4 * 1024, "the hog must exhaust the budget: " + budget.available());
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
    Reservation.checkedMode(false);
    a.close();
    b.close();
    for (long h : hogged) {
      hog.free(h);
    }
    hog.close();
    cacheA.close();
    cacheB.close();
  }

  @Test
  void poolAllocationNeverFailsWhereTheSlabCacheDoes() throws Exception {
    List<Long> taken = new ArrayList<>();
    for (long h; (h = a.tryAllocate()) != 0; ) {
      taken.add(h);
    }
    assertTrue(taken.size() >= 2, "at least the reserve");
    assertEquals(0, a.reserveLevel());
    assertThrows(AllocationFailedException.class, cacheA::allocate, "the slab cache alone fails");
    AtomicLong got = new AtomicLong();
    Thread waiter = Thread.ofPlatform().start(() -> got.set(a.allocate()));
    Waiting.until("the pool allocation waits", () -> a.mempoolStatistics().waiting() == 1);
    a.free(taken.remove(0));
    Waiting.join(waiter);
    assertNotEquals(0, got.get());
    a.free(got.get());
    for (long h : taken) {
      a.free(h);
    }
    assertEquals(0, a.mempoolStatistics().liveObjects());
  }

  @Test
  void twoPoolOperationsThroughReservationsCompleteOnAnExhaustedBudget() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong done = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int id = t;
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      Reservation r =
                          (id % 2 == 0 ? Reservation.of(a, 1).and(b, 1) : Reservation.of(b, 1).and(a, 1)).build();
                      for (int i = 0; i < 200; i++) {
                        r.reacquire();
                        long x = r.take(a);
                        long y = r.take(b);
                        a.segment(x).fill((byte) id);
                        b.segment(y).fill((byte) id);
                        Thread.onSpinWait();
                        if (a.segment(x).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != (byte) id) {
                          throw new AssertionError("object shared between two live owners");
                        }
                        b.free(y);
                        a.free(x);
                        r.close();
                        done.incrementAndGet();
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  }));
    }
    for (Thread t : threads) {
      Waiting.join(t);
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertEquals(8 * 200, done.get());
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
  }
}
