package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reservations: all-or-nothing, holding nothing while waiting, take/close rules, bad input, checked mode. */
class ReservationTest {
  private TestAllocator slabA;
  private TestAllocator slabB;
  private Mempool a;
  private Mempool b;

  @BeforeEach
  void setUp() {
    Reservation.checkedMode(true);
    slabA = new TestAllocator("slab-a", 32, 64, 1);
    slabB = new TestAllocator("slab-b", 48, 64, 2);
    // A domain of its own whose claim window outlasts every test: no claim makes a test timing-dependent.
    ReservationDomain domain = ReservationDomain.create("ReservationTest", Duration.ofHours(1));
    a = Mempool.builder("states", slabA).minNr(4).waitTimeout(Duration.ofMillis(100)).domain(domain).build();
    b = Mempool.builder("buffers", slabB).minNr(2).waitTimeout(Duration.ofMillis(100)).domain(domain).build();
    slabA.failAlways(true);
    slabB.failAlways(true);
  }

  @AfterEach
  void tearDown() {
    Reservation.checkedMode(false);
    try {
      a.close();
      b.close();
    } finally {
      slabA.close();
      slabB.close();
    }
  }

  @Test
  void acquireTakeAndCloseReturnsWhatWasNotTaken() {
    Set<Long> seen = new HashSet<>();
    long s1;
    try (Reservation r = Reservation.of(a, 3).and(b, 1).acquire()) {
      assertTrue(r.isHeld());
      assertEquals(3, r.remaining(a));
      assertEquals(1, r.remaining(b));
      assertEquals(1, a.reserveLevel());
      assertEquals(1, b.reserveLevel());
      s1 = r.take(a);
      assertTrue(seen.add(s1));
      assertTrue(seen.add(r.take(b)));
      assertEquals(2, r.remaining(a));
      assertEquals(0, r.remaining(b));
      assertEquals(2, a.mempoolStatistics().liveObjects() - 1, "untaken objects count as out of the pool");
      for (long h : seen) {
        assertNotEquals(0, h);
      }
    }
    assertEquals(3, a.reserveLevel(), "untaken objects go back to the reserve on close");
    assertEquals(1, b.reserveLevel());
    for (long h : seen) {
      (h == s1 ? a : b).free(h);
    }
    assertEquals(4, a.reserveLevel());
    assertEquals(2, b.reserveLevel());
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
  }

  @Test
  void takeBeyondTheCountFromAForeignPoolOrAfterCloseIsAnIllegalState() {
    Reservation r = Reservation.of(a, 1).acquire();
    long h = r.take(a);
    IllegalStateException over = assertThrows(IllegalStateException.class, () -> r.take(a));
    assertTrue(over.getMessage().contains("beyond the reserved count"), over.getMessage());
    IllegalStateException foreign = assertThrows(IllegalStateException.class, () -> r.take(b));
    assertTrue(foreign.getMessage().contains("not part of this reservation"), foreign.getMessage());
    assertThrows(IllegalStateException.class, () -> r.remaining(b));
    r.close();
    r.close(); // idempotent
    assertFalse(r.isHeld());
    IllegalStateException after = assertThrows(IllegalStateException.class, () -> r.take(a));
    assertTrue(after.getMessage().contains("not held"), after.getMessage());
    assertEquals(0, r.remaining(a));
    a.free(h);
    assertEquals(4, a.reserveLevel());
    Reservation unacquired = Reservation.of(a, 1).build();
    assertThrows(IllegalStateException.class, () -> unacquired.take(a));
    unacquired.close();
    assertEquals(0, a.mempoolStatistics().liveObjects());
  }

  @Test
  void badCountsAndDemandsOverMinNrAreRejectedWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 0));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, -2));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 1).and(b, 0));
    IllegalArgumentException over = assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 5));
    assertTrue(over.getMessage().contains("minNr=4") && over.getMessage().contains("wait forever"), over.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 3).and(b, 1).and(a, 2), "merged count 5");
    try (Reservation r = Reservation.of(a, 2).and(a, 2).acquire()) {
      assertEquals(4, r.remaining(a), "the same pool twice adds up");
    }
    assertEquals(4, a.reserveLevel());
  }

  @Test
  void reacquireWhileHeldIsRejectedAndReuseWorks() {
    Reservation r = Reservation.of(a, 2).and(b, 2).build();
    assertFalse(r.isHeld());
    for (int round = 0; round < 10; round++) {
      r.reacquire();
      assertThrows(IllegalStateException.class, r::reacquire);
      assertThrows(IllegalStateException.class, r::tryReacquire);
      a.free(r.take(a));
      r.close();
      assertTrue(r.tryReacquire());
      b.free(r.take(b));
      r.close();
    }
    assertEquals(4, a.reserveLevel());
    assertEquals(2, b.reserveLevel());
    assertEquals(20, r.statistics().acquisitions());
    assertEquals(0, r.statistics().waits());
  }

  @Test
  void aWaitingReservationHoldsNothingAndIsGrantedAllAtOnce() throws Exception {
    long b1 = b.allocate();
    long b2 = b.allocate();
    AtomicReference<Reservation> got = new AtomicReference<>();
    Thread waiter = Thread.ofPlatform().start(() -> got.set(Reservation.of(a, 4).and(b, 1).acquire()));
    Waiting.until("the reservation waits", () -> b.mempoolStatistics().waiting() == 1);
    assertEquals(4, a.reserveLevel(), "a waiting reservation holds nothing of the pool it could have had");
    assertEquals(1, a.mempoolStatistics().waiting());
    long x = a.tryAllocate();
    assertNotEquals(0, x, "work-conserving: a newcomer takes what the waiter cannot use yet");
    Reservation other = Reservation.of(a, 1).tryAcquire();
    assertNotNull(other, "so does a reservation that needs only pool a");
    other.close();
    a.free(x);
    assertEquals(4, a.reserveLevel());
    b.free(b1);
    Waiting.join(waiter);
    Reservation r = got.get();
    assertTrue(r.isHeld());
    assertEquals(0, a.reserveLevel());
    assertEquals(0, b.reserveLevel());
    assertEquals(1, r.statistics().waits());
    r.close();
    b.free(b2);
    assertEquals(4, a.reserveLevel());
    assertEquals(2, b.reserveLevel());
  }

  @Test
  void tryAcquireReturnsNullAndHoldsNothingWhenNotEverythingIsThere() throws Exception {
    long b1 = b.allocate();
    long b2 = b.allocate();
    assertNull(Reservation.of(a, 2).and(b, 1).tryAcquire());
    assertEquals(4, a.reserveLevel(), "all or nothing: the part from pool a went back");
    assertNull(Reservation.of(a, 2).and(b, 1).tryAcquire(30, TimeUnit.MILLISECONDS));
    assertEquals(4, a.reserveLevel());
    assertEquals(0, a.mempoolStatistics().waiting(), "a timed-out reservation leaves the queue");
    b.free(b1);
    Reservation r = Reservation.of(a, 2).and(b, 1).tryAcquire(30, TimeUnit.MILLISECONDS);
    assertNotNull(r);
    r.close();
    b.free(b2);
    assertEquals(0, a.mempoolStatistics().liveObjects() + b.mempoolStatistics().liveObjects());
  }

  @Test
  void acquireInterruptiblyLeavesTheQueueOnInterrupt() throws Exception {
    long b1 = b.allocate();
    long b2 = b.allocate();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread waiter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    Reservation.of(b, 1).acquireInterruptibly();
                  } catch (Throwable t) {
                    thrown.set(t);
                  }
                });
    Waiting.until("the reservation waits", () -> b.mempoolStatistics().waiting() == 1);
    waiter.interrupt();
    Waiting.join(waiter);
    assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
    assertEquals(0, b.mempoolStatistics().waiting());
    b.free(b1);
    b.free(b2);
    assertEquals(2, b.reserveLevel());
  }

  @Test
  void blockingAcquireWhileHoldingAReservationIsHoldAndWaitInCheckedMode() throws Exception {
    try (Reservation outer = Reservation.of(a, 1).acquire()) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> Reservation.of(b, 1).acquire());
      assertTrue(e.getMessage().contains("hold-and-wait") && e.getMessage().contains("ABBA"), e.getMessage());
      assertThrows(IllegalStateException.class, () -> Reservation.of(b, 1).acquireInterruptibly());
      Reservation inner = Reservation.of(b, 1).tryAcquire(); // never waits: allowed
      assertNotNull(inner);
      inner.close();
      Reservation timed = Reservation.of(b, 1).tryAcquire(1, TimeUnit.MILLISECONDS); // bounded: allowed
      assertNotNull(timed);
      timed.close();
      assertTrue(outer.isHeld());
    }
    Reservation.of(b, 1).acquire().close(); // nothing held any more

    // Closing on another thread releases the acquiring thread's hold.
    Reservation handedOver = Reservation.of(a, 1).acquire();
    Thread closer = Thread.ofPlatform().start(handedOver::close);
    Waiting.join(closer);
    Reservation.of(b, 1).acquire().close();
  }

  @Test
  void waitersOnUnrelatedPoolsDoNotBlockEachOther() throws Exception {
    long[] held = new long[4];
    for (int i = 0; i < 4; i++) {
      held[i] = a.allocate();
    }
    long b1 = b.allocate();
    long b2 = b.allocate();
    AtomicReference<Reservation> onA = new AtomicReference<>();
    AtomicReference<Reservation> onB = new AtomicReference<>();
    Thread first = Thread.ofPlatform().start(() -> onA.set(Reservation.of(a, 4).acquire()));
    Waiting.until("the reservation on a waits", () -> a.mempoolStatistics().waiting() == 1);
    Thread second = Thread.ofPlatform().start(() -> onB.set(Reservation.of(b, 1).acquire()));
    Waiting.until("the reservation on b waits", () -> b.mempoolStatistics().waiting() == 1);
    b.free(b1);
    Waiting.join(second);
    assertTrue(onB.get().isHeld(), "a waiter on b is granted although an older waiter on a still waits");
    assertTrue(first.isAlive());
    for (long h : held) {
      a.free(h);
    }
    Waiting.join(first);
    onA.get().close();
    onB.get().close();
    b.free(b2);
  }

  @Test
  void reacquireTakeAndCloseAllocateNoHeapMemory() throws Exception {
    slabA.failAlways(false);
    Reservation viaBacking = Reservation.of(a, 2).and(b, 1).build();
    Reservation viaReserve = Reservation.of(b, 2).build();
    long[] sink = new long[1];
    Runnable loop =
        () -> {
          for (int i = 0; i < 20_000; i++) {
            viaBacking.reacquire();
            long x = viaBacking.take(a);
            long y = viaBacking.take(b);
            sink[0] += x ^ y;
            a.free(x);
            b.free(y);
            viaBacking.close();
            if (viaReserve.tryReacquire()) {
              b.free(viaReserve.take(b));
              viaReserve.close();
            }
            long h = a.allocate();
            a.free(h);
            long g = b.tryAllocate();
            if (g != 0) {
              b.free(g);
            }
          }
        };
    loop.run(); // warm up: thread-local counters, class initialisation, JIT
    long probe = Garbage.allocatedBytes();
    sink[0] += new long[1000].length;
    assertTrue(Garbage.allocatedBytes() - probe >= 8000, "the allocation counter must work");
    long before = Garbage.allocatedBytes();
    loop.run();
    long after = Garbage.allocatedBytes();
    assertTrue(after - before < 4096, "reservation and mempool hot paths allocated " + (after - before)
        + " bytes in 20000 iterations (the measurement itself costs a few hundred)");
    assertNotEquals(0, sink[0]);
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
  }
}
