package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.Set;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, items 13 to 18: nothing lost when a backing allocator throws, no handle 0 in a reserve after a
 * failed close, poison checked on every exit from the reserve, frees of backing objects, the MBean's
 * lifetime, and frees racing close.
 */
class MempoolExceptionSafetyTest {

  /** Item 13: a reservation {A: 2, B: 1} whose B backing throws gives A's reserve back. */
  @Test
  void aThrowingBackingLosesNoReserveObjectOfAnotherPool() {
    FaultyAllocator slabA = new FaultyAllocator("a-backing", 16);
    FaultyAllocator slabB = new FaultyAllocator("b-backing", 16);
    Mempool a = Mempool.builder("a", slabA).minNr(2).build();
    Mempool b = Mempool.builder("b", slabB).minNr(1).build();
    slabA.test.failAlways(true); // A's objects come from its reserve
    slabB.throwOnAllocateAfter(0);
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> Reservation.of(a, 2).and(b, 1).tryAcquire());
    assertEquals("injected", e.getMessage());
    assertEquals(2, a.reserveLevel(), "A's reserve objects came back");
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(2, slabA.live(), "nothing went astray in A's backing");
    assertThrows(RuntimeException.class, () -> Reservation.of(a, 2).and(b, 1).acquire());
    assertEquals(2, a.reserveLevel(), "the blocking form gives back too");
    slabB.heal();
    try (Reservation r = Reservation.of(a, 2).and(b, 1).acquire()) {
      assertTrue(r.isHeld());
    }
    a.close();
    b.close();
    assertEquals(0, slabA.live());
    assertEquals(0, slabB.live());
  }

  /** Item 13: in allocateBulk, objects handed out before the throw are not leaked. */
  @Test
  void allocateBulkIsAllOrNothingWhenTheBackingThrows() {
    FaultyAllocator slab = new FaultyAllocator("bulk-backing", 16);
    Mempool pool = Mempool.builder("bulk", slab).minNr(4).build();
    slab.throwOnAllocateAfter(2); // two from the backing, then it throws
    long[] dst = new long[4];
    assertThrows(IllegalStateException.class, () -> pool.allocateBulk(dst, 4));
    assertEquals(4, slab.live(), "only the reserve is allocated from the backing");
    assertEquals(4, pool.reserveLevel());
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    slab.heal();
    pool.allocateBulk(dst, 4);
    pool.freeBulk(dst, 4);
    pool.close();
    assertEquals(0, slab.live());
  }

  /** Item 13 with an Error, like a native out-of-memory error. */
  @Test
  void anErrorFromTheBackingLosesNothing() {
    FaultyAllocator slab = new FaultyAllocator("error-backing", 16);
    Mempool pool = Mempool.builder("errors", slab).minNr(2).build();
    slab.throwOnAllocateAfter(1);
    slab.fault(() -> new IllegalStateException("out of native memory"));
    long[] dst = new long[2];
    assertThrows(IllegalStateException.class, () -> pool.allocateBulk(dst, 2));
    assertEquals(2, slab.live());
    assertEquals(2, pool.reserveLevel());
    slab.heal();
    pool.close();
  }

  /** Item 14: retrying a failed Reservation.close() returns exactly the rest, never handle 0. */
  @Test
  void aRetriedCloseNeverPutsHandleZeroIntoAReserve() {
    FaultyAllocator slab = new FaultyAllocator("close-backing", 16);
    Mempool pool = Mempool.builder("close", slab).minNr(2).build();
    Reservation r = Reservation.of(pool, 2).acquire(); // from the backing: the reserve stays full
    assertEquals(2, pool.reserveLevel());
    slab.throwOnFreeAfter(1); // the reserve is full, so both go back to the backing: the second throws
    assertThrows(IllegalStateException.class, r::close);
    assertTrue(r.isHeld(), "a failed close keeps what it could not return");
    slab.heal();
    r.close();
    assertFalse(r.isHeld());
    assertEquals(2, pool.reserveLevel());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 2; i++) {
      slab.test.failAlways(true);
      long h = pool.tryAllocate();
      assertNotEquals(0, h, "the reserve never holds handle 0");
      assertTrue(seen.add(h));
    }
    for (long h : seen) {
      pool.free(h);
    }
    slab.test.failAlways(false);
    pool.close();
    assertEquals(0, slab.live(), "every object came back exactly once");
  }

  /** Item 15: an object granted to a waiter from the reserve has its poison checked. */
  @Test
  void poisonIsCheckedWhenTheReserveGrantsAWaiter() throws Exception {
    TestAllocator slab = new TestAllocator("poison-backing", 32, 8, 5);
    Mempool pool = Mempool.builder("poisoned", slab).minNr(2).poisonReserve(true).build();
    slab.failAlways(true);
    long h = pool.allocate();
    long g = pool.allocate();
    pool.free(h); // h sits poisoned in the reserve
    pool.memory(h).set(java.lang.foreign.ValueLayout.JAVA_BYTE, pool.offset(h) + 3, (byte) 1); // stale write
    long[] dst = new long[2];
    Thread waiter = Thread.ofPlatform().start(() -> pool.allocateBulk(dst, 2));
    Waiting.until("the bulk allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    assertEquals(0, pool.debugReports());
    pool.free(g); // the reserve now holds both: the queue grants them, and checks their poison
    Waiting.join(waiter);
    assertEquals(1, pool.debugReports(), "the write into the reserved object was reported at the grant");
    pool.freeBulk(dst, 2);
    pool.close();
  }

  /** Item 16: freeing an object that came straight from the backing allocator is allowed. */
  @Test
  void freeingABackingObjectDoesNotMakeTheCountNegative() {
    TestAllocator slab = new TestAllocator("direct-backing", 32, 8, 6);
    Mempool pool = Mempool.builder("direct", slab).minNr(2).build();
    long direct = slab.allocate();
    pool.free(direct);
    assertEquals(0, pool.mempoolStatistics().liveObjects(), "never below zero");
    assertDoesNotThrow(pool::close, "close does not report a leak of -1 objects");
    assertEquals(0, slab.live());
  }

  /** Item 17: a close that reports leaked objects still unregisters the MBean. */
  @Test
  void aLeakReportingCloseUnregistersTheMBean() throws Exception {
    TestAllocator slab = new TestAllocator("jmx-backing", 32, 8, 7);
    Mempool pool = Mempool.builder("jmx-leak", slab).minNr(1).jmx(true).build();
    ObjectName on = pool.registerMBean();
    assertTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(on));
    long h = pool.allocate();
    assertThrows(IllegalStateException.class, pool::close);
    assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(on));
    slab.free(h);
  }

  /** Item 17: build() with jmx(true) and a name already taken gives the reserve back. */
  @Test
  void aFailedMBeanRegistrationGivesTheReserveBack() {
    TestAllocator slab = new TestAllocator("jmx-backing-2", 32, 8, 8);
    Mempool first = Mempool.builder("jmx-dup", slab).minNr(2).jmx(true).build();
    assertThrows(IllegalStateException.class, () -> Mempool.builder("jmx-dup", slab).minNr(3).jmx(true).build());
    assertEquals(2, slab.live(), "only the first pool's reserve is allocated");
    first.close();
    assertEquals(0, slab.live());
  }

  /** Item 18: frees racing close() never refill a closed pool's reserve. */
  @Test
  void freesRacingCloseDoNotRefillAClosedReserve() throws Exception {
    for (int round = 0; round < 200; round++) {
      TestAllocator slab = new TestAllocator("race-backing", 32, 64, 9);
      Mempool pool = Mempool.builder("race", slab).minNr(8).build();
      slab.failAlways(true);
      long[] hs = new long[8];
      for (int i = 0; i < 8; i++) {
        hs[i] = pool.allocate();
      }
      Thread freer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (long h : hs) {
                      try {
                        pool.free(h);
                      } catch (RuntimeException closed) {
                        return; // AllocatorClosedException after close: the object stays out
                      }
                    }
                  });
      try {
        pool.close();
      } catch (IllegalStateException leaked) {
        // objects still out at close: expected in most rounds
      }
      Waiting.join(freer);
      assertEquals(0, pool.reserveLevel(), "round " + round + ": a closed pool keeps nothing");
      slab.failAlways(false);
    }
  }
}
