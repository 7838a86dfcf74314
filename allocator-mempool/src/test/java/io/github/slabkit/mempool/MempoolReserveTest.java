package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kernel's reserve semantics over a backing allocator that fails on demand. */
class MempoolReserveTest {
  private TestAllocator backing;
  private Mempool pool;

  @BeforeEach
  void setUp() {
    Reservation.checkedMode(true);
    backing = new TestAllocator("slab", 16, 64, 7);
    // A domain of its own whose claim window outlasts every test, so no claim makes the tests timing-dependent.
    pool =
        Mempool.builder("pool", backing)
            .minNr(4)
            .waitTimeout(Duration.ofMillis(100))
            .domain(ReservationDomain.create("MempoolReserveTest", Duration.ofHours(1)))
            .build();
    backing.failAlways(true);
  }

  @AfterEach
  void tearDown() {
    Reservation.checkedMode(false);
    try {
      pool.close();
    } finally {
      backing.close();
    }
  }

  @Test
  void exactlyMinNrAllocationsSucceedWithoutWaitingThenTryAllocateReturnsZero() throws Exception {
    Set<Long> got = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      assertTrue(got.add(pool.allocate()), "reserve handed out a handle twice");
    }
    MempoolStatistics s = pool.mempoolStatistics();
    assertEquals(4, s.reserveHits());
    assertEquals(0, s.waits(), "the reserve must give without waiting");
    assertEquals(0, s.reserveLevel());
    assertEquals(0, pool.tryAllocate(), "tryAllocate must not wait");
    assertEquals(0, pool.tryAllocate(20, TimeUnit.MILLISECONDS), "timed allocation must time out");
    assertEquals(0, pool.tryAllocate(0, TimeUnit.MILLISECONDS));
    assertEquals(3, pool.mempoolStatistics().failures());
    assertEquals(0, pool.mempoolStatistics().waiting(), "a timed-out allocation must leave the queue");
    for (long h : got) {
      pool.free(h);
    }
    assertEquals(4, pool.reserveLevel());
    assertEquals(4, backing.live(), "frees refill the reserve first");
  }

  @Test
  void blockingAllocationWaitsUntilAFreeThenSucceeds() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicLong result = new AtomicLong();
    Thread waiter = Thread.ofPlatform().name("waiter").start(() -> result.set(pool.allocate()));
    Waiting.until("the allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    assertEquals(0, result.get(), "nothing was freed, the allocation must still wait");
    assertTrue(waiter.isAlive());
    pool.free(hs[0]);
    Waiting.join(waiter);
    assertEquals(hs[0], result.get(), "the freed object goes through the reserve to the waiter");
    assertEquals(1, pool.mempoolStatistics().waits());
    pool.free(result.get());
    for (int i = 1; i < 4; i++) {
      pool.free(hs[i]);
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
  }

  @Test
  void waiterRetriesTheBackingAllocatorWithReclaimAfterTheWaitTimeout() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicLong result = new AtomicLong();
    Thread waiter = Thread.ofPlatform().start(() -> result.set(pool.allocate()));
    Waiting.until("the allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    backing.failAlways(false); // memory comes back, but no object is freed to the pool
    Waiting.join(waiter);
    assertNotEquals(0, result.get());
    pool.free(result.get());
    for (long h : hs) {
      pool.free(h);
    }
  }

  @Test
  void timedAllocationGetsAnObjectFreedWhileItWaits() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicLong result = new AtomicLong();
    Thread waiter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    result.set(pool.tryAllocate(Waiting.DEADLINE_MS, TimeUnit.MILLISECONDS));
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    Waiting.until("the timed allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    pool.free(hs[1]);
    Waiting.join(waiter);
    assertEquals(hs[1], result.get());
    pool.free(result.get());
    pool.free(hs[0]);
    pool.free(hs[2]);
    pool.free(hs[3]);
  }

  @Test
  void virtualThreadsAllocateAndFreeThroughThePoolWithExactCounts() throws Exception {
    backing.failWithProbability(0.5);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 64; t++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      Reservation two = Reservation.of(pool, 2).build();
                      for (int i = 0; i < 200; i++) {
                        long h = pool.allocate();
                        pool.free(h);
                        two.reacquire();
                        pool.free(two.take(pool));
                        two.close();
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
    MempoolStatistics s = pool.mempoolStatistics();
    assertEquals(0, s.liveObjects());
    assertEquals(64 * 200 * 3, s.allocations(), "one object per allocate, two per reservation");
    assertEquals(s.reserveLevel(), backing.live());
  }

  @Test
  void freeRefillsTheReserveFirstAndThenGoesToTheBackingAllocator() {
    backing.failAlways(false);
    long a = pool.allocate();
    long b = pool.allocate();
    assertEquals(4 + 2, backing.live(), "with memory available the backing allocator gives first");
    assertEquals(4, pool.reserveLevel());
    pool.free(a);
    assertEquals(4 + 1, backing.live(), "a full reserve sends frees to the backing allocator");
    backing.failAlways(true);
    long c = pool.allocate();
    long d = pool.allocate();
    assertEquals(2, pool.reserveLevel());
    pool.free(c);
    assertEquals(3, pool.reserveLevel(), "below minNr, a free refills the reserve");
    pool.free(b);
    assertEquals(4, pool.reserveLevel());
    pool.free(d);
    assertEquals(4, pool.reserveLevel());
    assertEquals(4, backing.live());
  }

  @Test
  void allocateInterruptiblyEndsOnInterruptHoldingNothing() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread waiter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    pool.allocateInterruptibly();
                  } catch (Throwable t) {
                    thrown.set(t);
                  }
                });
    Waiting.until("the allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    waiter.interrupt();
    Waiting.join(waiter);
    assertTrue(thrown.get() instanceof InterruptedException, "expected InterruptedException: " + thrown.get());
    assertEquals(0, pool.mempoolStatistics().waiting());
    for (long h : hs) {
      pool.free(h);
    }
    assertEquals(4, pool.reserveLevel());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
  }

  @Test
  void uninterruptibleAllocateKeepsWaitingAndKeepsTheInterruptStatus() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicLong result = new AtomicLong();
    AtomicBoolean interrupted = new AtomicBoolean();
    Thread waiter =
        Thread.ofPlatform()
            .start(
                () -> {
                  result.set(pool.allocate());
                  interrupted.set(Thread.currentThread().isInterrupted());
                });
    Waiting.until("the allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    waiter.interrupt();
    Thread.sleep(20);
    assertTrue(waiter.isAlive(), "allocate() must not give up on interrupt");
    pool.free(hs[3]);
    Waiting.join(waiter);
    assertEquals(hs[3], result.get());
    assertTrue(interrupted.get(), "the interrupt status must be restored");
    pool.free(result.get());
    for (int i = 0; i < 3; i++) {
      pool.free(hs[i]);
    }
  }

  @Test
  void allocateBulkIsAllOrNothingAndWaitsHoldingNothing() throws Exception {
    long a = pool.allocate();
    long b = pool.allocate();
    long c = pool.allocate();
    assertEquals(1, pool.reserveLevel());
    long[] dst = new long[3];
    Thread waiter = Thread.ofPlatform().start(() -> pool.allocateBulk(dst, 3));
    Waiting.until("the bulk allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    assertEquals(1, pool.reserveLevel(), "a waiting bulk allocation holds nothing");
    long d = pool.tryAllocate();
    assertNotEquals(0, d, "work-conserving: a newcomer takes what a waiter cannot use yet");
    assertEquals(0, pool.reserveLevel());
    pool.free(d);
    assertEquals(1, pool.reserveLevel(), "the free refills the reserve for the waiter");
    pool.free(a);
    assertEquals(2, pool.reserveLevel(), "still not enough for all three");
    pool.free(b);
    Waiting.join(waiter);
    assertEquals(0, pool.reserveLevel());
    Set<Long> seen = new HashSet<>();
    for (long h : dst) {
      assertTrue(seen.add(h));
      assertNotEquals(0, h);
    }
    pool.freeBulk(dst, 3);
    pool.free(c);
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    assertThrows(IllegalArgumentException.class, () -> pool.allocateBulk(new long[5], 5), "n > minNr");
    assertThrows(IllegalArgumentException.class, () -> pool.allocateBulk(dst, -1));
    pool.allocateBulk(dst, 0);
  }

  @Test
  void resizeGrowsAndShrinksTheReserve() throws Exception {
    backing.failAlways(false);
    pool.resize(10);
    assertEquals(10, pool.minNr());
    assertEquals(10, pool.reserveLevel(), "growing refills from the backing allocator when it can");
    assertEquals(10, backing.live());
    pool.resize(2);
    assertEquals(2, pool.reserveLevel());
    assertEquals(2, backing.live(), "shrinking returns the surplus");
    backing.failAlways(true);
    pool.resize(6);
    assertEquals(2, pool.reserveLevel(), "growing without memory is lazy");
    long h = pool.allocate();
    pool.free(h);
    assertEquals(2, pool.reserveLevel());
    assertThrows(IllegalArgumentException.class, () -> pool.resize(0));

    long x = pool.allocate();
    long y = pool.allocate();
    long[] dst = new long[5];
    Thread waiter = Thread.ofPlatform().start(() -> pool.allocateBulk(dst, 5));
    Waiting.until("the bulk allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.resize(4));
    assertTrue(e.getMessage().contains("needs a reserve of 5"), e.getMessage());
    backing.failAlways(false);
    Waiting.join(waiter);
    pool.freeBulk(dst, 5);
    pool.free(x);
    pool.free(y);
    assertEquals(0, pool.mempoolStatistics().liveObjects());
  }

  @Test
  void freeOfAForeignOrNullHandleChangesNothing() {
    try (TestAllocator other = new TestAllocator("other", 16, 8, 1)) {
      long foreign = other.allocate();
      long mine = pool.allocate();
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> pool.free(foreign));
      assertTrue(e.getMessage().contains("pool"), e.getMessage());
      assertThrows(InvalidHandleException.class, () -> pool.free(0));
      assertEquals(3, pool.reserveLevel());
      assertEquals(1, pool.mempoolStatistics().liveObjects());
      assertEquals(1, other.live());
      pool.free(mine);
      other.free(foreign);
      assertEquals(4, pool.reserveLevel());
    }
  }

  @Test
  void doubleFreeIntoTheReserveIsDetectedInCheckedMode() {
    long h = pool.allocate();
    long g = pool.allocate();
    pool.free(h);
    InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> pool.free(h));
    assertTrue(e.getMessage().contains("double free"), e.getMessage());
    assertEquals(3, pool.reserveLevel());
    pool.free(g);
  }

  @Test
  void creationFailsClearlyAndHoldsNothingWhenTheReserveCannotBePreallocated() {
    try (TestAllocator small = new TestAllocator("tiny-slab", 16, 3, 1)) {
      AllocationFailedException e =
          assertThrows(AllocationFailedException.class, () -> Mempool.builder("big", small).minNr(5).build());
      assertTrue(e.getMessage().contains("big") && e.getMessage().contains("minNr=5"), e.getMessage());
      assertEquals(0, small.live(), "a failed creation must hold nothing");
    }
    assertThrows(IllegalArgumentException.class, () -> Mempool.builder("x", backing).minNr(0));
    assertThrows(IllegalArgumentException.class, () -> Mempool.builder("x", backing).minNr(-3));
    assertThrows(IllegalArgumentException.class, () -> Mempool.builder("x", backing).waitTimeout(Duration.ZERO));
  }

  @Test
  void closeReturnsTheReserveAndReportsObjectsStillOut() {
    backing.failAlways(false);
    long h = pool.allocate();
    IllegalStateException e = assertThrows(IllegalStateException.class, pool::close);
    assertTrue(e.getMessage().contains("1 object(s) still allocated"), e.getMessage());
    assertEquals(1, backing.live(), "the reserve went back; the live object is leaked to the backing");
    pool.close(); // idempotent
    assertThrows(AllocatorClosedException.class, () -> pool.free(h));
    assertThrows(AllocatorClosedException.class, pool::allocate);
    assertThrows(AllocatorClosedException.class, () -> Reservation.of(pool, 1).acquire());
    backing.free(h);
  }

  @Test
  void closeWhileAllocationsWaitFailsAndKeepsThePoolOpen() throws Exception {
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = pool.allocate();
    }
    AtomicLong result = new AtomicLong();
    Thread waiter = Thread.ofPlatform().start(() -> result.set(pool.allocate()));
    Waiting.until("the allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    assertThrows(IllegalStateException.class, pool::close);
    pool.free(hs[0]);
    Waiting.join(waiter);
    pool.free(result.get());
    for (int i = 1; i < 4; i++) {
      pool.free(hs[i]);
    }
  }

  @Test
  void blockingAllocateWhileHoldingAReservationIsHoldAndWaitInCheckedMode() throws Exception {
    try (Reservation r = Reservation.of(pool, 1).acquire()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, pool::allocate);
      assertTrue(e.getMessage().contains("hold-and-wait"), e.getMessage());
      assertThrows(IllegalStateException.class, () -> pool.allocateBulk(new long[1], 1));
      assertThrows(IllegalStateException.class, pool::allocateInterruptibly);
      long bounded = pool.tryAllocate(1, TimeUnit.MILLISECONDS); // bounded waits are allowed
      assertNotEquals(0, bounded);
      pool.free(bounded);
      assertTrue(r.isHeld());
    }
    long h = pool.allocate(); // closed: no longer holding
    pool.free(h);
    Reservation.checkedMode(false);
    try (Reservation r = Reservation.of(pool, 1).acquire()) {
      long g = pool.allocate(); // not checked: allowed (and here there is memory)
      pool.free(g);
      assertFalse(r.remaining(pool) == 0);
    }
  }
}
