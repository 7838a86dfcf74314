package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checked mode catches the seed's own pattern: holding an object of one mempool and then blocking on another
 * (or the same) is rejected with a message that says why, unless a declared allocation order allows it.
 * Ownership follows frees on other threads, {@code disown}, and reservations closed elsewhere.
 */
class CheckedModeTest {
  private TestAllocator slabA;
  private TestAllocator slabB;
  private Mempool a;
  private Mempool b;
  private Mempool ordered1;
  private Mempool ordered2;

  @BeforeEach
  void setUp() {
    Reservation.checkedMode(true);
    slabA = new TestAllocator("slab-a", 16, 64, 1);
    slabB = new TestAllocator("slab-b", 16, 64, 2);
    ReservationDomain d = ReservationDomain.create("checked", Duration.ofHours(1));
    Duration wait = Duration.ofMillis(20);
    a = Mempool.builder("a", slabA).minNr(2).waitTimeout(wait).domain(d).build();
    b = Mempool.builder("b", slabB).minNr(2).waitTimeout(wait).domain(d).build();
    ordered1 = Mempool.builder("first", slabA).minNr(2).allocationOrder(1).waitTimeout(wait).domain(d).build();
    ordered2 = Mempool.builder("second", slabB).minNr(2).allocationOrder(2).waitTimeout(wait).domain(d).build();
    slabA.failAlways(true);
    slabB.failAlways(true);
  }

  @AfterEach
  void tearDown() {
    Reservation.checkedMode(false);
    a.close();
    b.close();
    ordered1.close();
    ordered2.close();
  }

  /**
   * Drains a pool's reserve on another thread, which then holds the objects (as far as checked mode
   * knows), so that the test thread's next blocking allocation from it must wait.
   */
  private static long[] drain(Mempool p) throws Exception {
    long[][] out = new long[1][];
    Thread t = Thread.ofPlatform().start(() -> out[0] = drainHere(p));
    t.join();
    return out[0];
  }

  private static long[] drainHere(Mempool p) {
    long[] hs = new long[p.minNr()];
    for (int i = 0; i < hs.length; i++) {
      hs[i] = p.tryAllocate();
      assertNotEquals(0, hs[i]);
    }
    return hs;
  }

  private static void freeAll(Mempool p, long[] hs) {
    for (long h : hs) {
      p.free(h);
    }
  }

  @Test
  void holdingOneObjectAndBlockingOnAnotherPoolIsRejected() throws Exception {
    long[] bOut = drain(b);
    long ha = a.allocate();
    IllegalStateException e = assertThrows(IllegalStateException.class, b::allocate);
    assertTrue(e.getMessage().contains("hold-and-wait"), e.getMessage());
    assertTrue(e.getMessage().contains("1 object(s) of mempool 'a'"), e.getMessage());
    assertTrue(e.getMessage().contains("allocationOrder"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> b.allocateBulk(new long[1], 1));
    assertThrows(IllegalStateException.class, () -> Reservation.of(b, 1).acquire());
    long bounded = b.tryAllocate(1, TimeUnit.MILLISECONDS); // bounded waits are not checked
    assertTrue(bounded == 0, "b is drained");
    a.free(ha);
    freeAll(b, bOut);
  }

  @Test
  void holdingAnObjectAndBlockingOnTheSamePoolIsRejected() {
    long h1 = a.allocate();
    long h2 = a.allocate(); // reserve drained; the next allocate must block
    IllegalStateException e = assertThrows(IllegalStateException.class, a::allocate);
    assertTrue(e.getMessage().contains("the same pool"), e.getMessage());
    a.free(h1);
    a.free(h2);
  }

  @Test
  void aDeclaredOrderAllowsBlockingOnALaterPool() throws Exception {
    long[] second = drain(ordered2);
    long h1 = ordered1.allocate();
    // ordered2 is drained: the blocking allocation waits (allowed), until another thread frees.
    Thread freer = Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(30);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
      ordered2.free(second[0]);
    });
    long h2 = assertDoesNotThrow(() -> ordered2.allocate(), "first (1) before second (2) is allowed");
    Waiting.join(freer);
    ordered2.free(h2);
    ordered2.free(second[1]);
    // the reverse order is rejected
    ordered1.free(h1);
    long[] first = drain(ordered1);
    long held2 = ordered2.allocate();
    IllegalStateException e = assertThrows(IllegalStateException.class, ordered1::allocate);
    assertTrue(e.getMessage().contains("declared allocation order 2"), e.getMessage());
    ordered2.free(held2);
    freeAll(ordered1, first);
  }

  @Test
  void ownershipFollowsFreesOnOtherThreadsAndDisown() throws Exception {
    long h = a.allocate();
    long[] bDrained = drainHere(b); // the test thread holds both of b and one of a
    // freed on another thread: the test thread no longer holds it
    Thread.ofPlatform().start(() -> a.free(h)).join();
    // disowned, as if stored in a shared structure: no longer held either
    for (long x : bDrained) {
      b.disown(x);
    }
    Thread freer = Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(30);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
      b.free(bDrained[0]);
    });
    long g = assertDoesNotThrow(() -> b.allocate(), "nothing is held any more: blocking is fine");
    Waiting.join(freer);
    b.free(g);
    b.free(bDrained[1]);
  }

  @Test
  void aReservationClosedOnAnotherThreadNoLongerCounts() throws Exception {
    Reservation r = Reservation.of(a, 1).acquire();
    assertThrows(IllegalStateException.class, () -> Reservation.of(b, 1).acquire(), "nested reservation");
    Thread.ofPlatform().start(r::close).join();
    try (Reservation s = Reservation.of(b, 1).acquire()) {
      assertTrue(s.isHeld());
    }
  }
}
