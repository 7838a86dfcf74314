package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Failure paths of the public API, the third adversary's round: a backing allocator that throws at the Nth
 * free or allocation (resize, a waiter's retry, a reservation's direct retry), timeouts and interrupts, and
 * refused handles. After each, nothing may stay held and the counts return to their baseline.
 */
class MempoolFailurePathTest {

  /**
   * A resize that shrinks the reserve frees the surplus to the backing allocator; one throwing free stopped
   * the loop, and the surplus objects after it were lost (allocated in the backing allocator, in no reserve).
   */
  @Test
  void resizeDownWithAThrowingFreeStillReturnsTheOtherSurplusObjects() {
    FaultyAllocator slab = new FaultyAllocator("resize-backing", 16);
    Mempool pool = Mempool.builder("resize", slab).minNr(4).build();
    slab.throwOnceOnFreeAfter(0); // the first surplus object's free throws, the others' succeed
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.resize(1));
    assertEquals("injected", e.getCause().getMessage());
    assertEquals(1, pool.minNr());
    assertEquals(1, pool.reserveLevel());
    assertEquals(2, slab.live(), "the reserve's one and the refused one; the other two went back");
    pool.close();
    assertEquals(1, slab.live(), "only the object whose free was refused");
  }

  @Test
  void aWaiterWhoseBackingThrowsOnItsRetryHoldsNothingAndLeavesTheQueue() throws Exception {
    ReservationDomain d = ReservationDomain.create("r3-retry");
    FaultyAllocator slab = new FaultyAllocator("retry-backing", 16);
    Mempool pool = Mempool.builder("retry", slab).minNr(2).domain(d).build();
    slab.test.failAlways(true);
    long a = pool.allocate();
    long b = pool.allocate();
    slab.throwOnAllocateAfter(0);
    CompletableFuture<Long> f = CompletableFuture.supplyAsync(pool::allocate);
    Throwable t = assertThrows(Exception.class, () -> f.get(5, TimeUnit.SECONDS));
    assertEquals("injected", t.getCause().getMessage());
    assertEquals(0, d.waiting());
    assertEquals(0, pool.mempoolStatistics().waiting());
    slab.heal();
    slab.test.failAlways(false);
    pool.free(a);
    pool.free(b);
    assertEquals(2, pool.reserveLevel());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, slab.live());
  }

  @Test
  void aReservationWhoseSecondBackingThrowsOnTheDirectRetryGivesTheFirstBack() throws Exception {
    ReservationDomain d = ReservationDomain.create("r3-direct");
    FaultyAllocator slabA = new FaultyAllocator("da-backing", 16);
    FaultyAllocator slabB = new FaultyAllocator("db-backing", 16);
    Mempool a = Mempool.builder("da", slabA).minNr(2).domain(d).build();
    Mempool b = Mempool.builder("db", slabB).minNr(1).domain(d).build();
    slabB.test.failAlways(true);
    long hb = b.allocate(); // drains B
    slabB.throwOnAllocateAfter(0);
    CompletableFuture<Void> f =
        CompletableFuture.runAsync(() -> Reservation.of(a, 2).and(b, 1).acquire().close());
    Throwable t = assertThrows(Exception.class, () -> f.get(5, TimeUnit.SECONDS));
    assertEquals("injected", t.getCause().getMessage());
    assertEquals(0, d.waiting());
    slabB.heal();
    slabB.test.failAlways(false);
    b.free(hb);
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
    a.close();
    b.close();
    assertEquals(0, slabA.live(), "A's backing");
    assertEquals(0, slabB.live(), "B's backing");
  }

  @Test
  void timedTryAllocateTimesOutHoldingNothing() throws Exception {
    ReservationDomain d = ReservationDomain.create("r3-timed");
    TestAllocator slab = new TestAllocator("timed-backing", 16, 2, 7);
    Mempool pool = Mempool.builder("timed", slab).minNr(2).domain(d).build();
    long a = pool.allocate();
    long b = pool.allocate();
    assertEquals(0, pool.tryAllocate(20, TimeUnit.MILLISECONDS));
    assertEquals(0, d.waiting());
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> pool.tryAllocate(1, TimeUnit.SECONDS));
    assertFalse(Thread.interrupted());
    assertNull(Reservation.of(pool, 1).tryAcquire(20, TimeUnit.MILLISECONDS));
    assertEquals(0, d.waiting());
    pool.free(a);
    pool.free(b);
    pool.close();
    assertEquals(0, slab.live());
  }

  @Test
  void weirdHandlesAreRefusedThroughPoolLocalAndReservationWithNoChange() {
    TestAllocator slab = new TestAllocator("weird-backing", 16, 64, 9);
    Mempool pool = Mempool.builder("weird", slab).minNr(4).build();
    Mempool other = Mempool.builder("weird-other", new TestAllocator("o", 16, 8, 3)).minNr(1).build();
    long foreign = other.allocate();
    long h = pool.allocate(); // from the backing allocator: the reserve stays full
    for (long bad : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, foreign}) {
      assertThrows(InvalidHandleException.class, () -> pool.free(bad), "free " + bad);
      try (MempoolLocal l = pool.local()) {
        assertThrows(InvalidHandleException.class, () -> l.free(bad), "local free " + bad);
      }
    }
    pool.free(h);
    assertThrows(InvalidHandleException.class, () -> pool.free(h));
    other.free(foreign);
    other.close();
    pool.close();
    assertEquals(0, slab.live());
  }

  @Test
  void resizeDuringAWaitThenFreesGrantIt() throws Exception {
    ReservationDomain d = ReservationDomain.create("r3-resize-wait");
    TestAllocator slab = new TestAllocator("rw-backing", 16, 4, 7);
    Mempool pool = Mempool.builder("rw", slab).minNr(2).domain(d).waitTimeout(Duration.ofSeconds(30)).build();
    long[] held = new long[4];
    for (int i = 0; i < 4; i++) {
      held[i] = pool.allocate();
    }
    AtomicReference<Long> got = new AtomicReference<>();
    Thread w = new Thread(() -> got.set(pool.allocate()));
    w.start();
    Waiting.until("waiter queued", () -> d.waiting() == 1);
    pool.resize(1);
    pool.free(held[0]);
    w.join(5000);
    assertFalse(w.isAlive(), "waiter not granted after resize+free: " + d.describeWaiters());
    pool.free(got.get());
    for (int i = 1; i < 4; i++) {
      pool.free(held[i]);
    }
    pool.close();
    assertEquals(0, slab.live());
  }

  /**
   * A reservation whose close meets a throwing backing free stays held with exactly the refused objects; a
   * retried close returns them, and the counts return to the baseline.
   */
  @Test
  void aReservationCloseThatMeetsAThrowingFreeCanBeRetried() {
    FaultyAllocator slab = new FaultyAllocator("close-retry-backing", 16);
    Mempool pool = Mempool.builder("close-retry", slab).minNr(2).build();
    Reservation r = Reservation.of(pool, 2).acquire(); // from the backing: the reserve stays full
    assertEquals(2, pool.reserveLevel());
    slab.throwOnceOnFreeAfter(0);
    assertThrows(IllegalStateException.class, r::close);
    assertTrue(r.isHeld(), "the refused object stays in the reservation");
    assertEquals(3, slab.live(), "the reserve's two and the refused one");
    r.close();
    assertFalse(r.isHeld());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, slab.live());
  }

  /**
   * Closing a pool while a reservation holds its objects reports them as leaked; closing the reservation
   * afterwards gives them to the slab cache, which then reports no leak, and the budget is back to zero.
   */
  @Test
  void aPoolClosedUnderAHeldReservationOverASlabCacheLeaksNothingOnceTheReservationCloses() {
    MemoryBudget budget = MemoryBudget.ofBytes("r3-close-budget", 64 * 16);
    SlabCache cache = SlabCache.builder("r3-close-cache").objectSize(64).objectsPerSlab(4).budget(budget).build();
    Mempool pool = Mempool.builder("r3-close-pool", cache).minNr(3).build();
    Reservation r = Reservation.of(pool, 3).acquire();
    long taken = r.take(pool);
    IllegalStateException e = assertThrows(IllegalStateException.class, pool::close);
    assertTrue(e.getMessage().contains("3 object(s) still allocated"), e.getMessage());
    r.close();
    assertThrows(AllocatorClosedException.class, () -> pool.free(taken));
    cache.free(taken); // as the message says: to the backing allocator
    cache.close();
    assertEquals(0, cache.leakedObjects());
    assertEquals(0, budget.used());
  }
}
