package io.github.slabkit.mempool;

import static io.github.slabkit.mempool.ReservationFixtures.assertConserved;
import static io.github.slabkit.mempool.ReservationFixtures.drain;
import static io.github.slabkit.mempool.ReservationFixtures.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reservation's "nothing is lost when a backing allocator throws" for the give-back of a reservation that is
 * not held: an acquisition that cannot complete gives back what it took, and when a backing allocator's free
 * refuses some of it, every other object is still returned and the pool keeps the refused ones (strays) until
 * its next give-back or close. Before, they stayed in the reservation's slots, which the next acquisition
 * overwrote: 4 objects of the backing allocator lost per failed attempt (found by an outside-style probe);
 * and the waiter's retry stopped at the first refusal, so later pools' objects were not returned either.
 */
class ReservationRefusedGiveBackTest {
  @Test
  void aFailedFastPathWhoseGiveBackIsRefusedLosesNothing() {
    ReservationDomain d = ReservationDomain.create("refused-fast");
    FaultyAllocator fa = new FaultyAllocator("la", 100);
    FaultyAllocator fb = new FaultyAllocator("lb", 4);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    List<Long> held = drain(b);
    Reservation r = Reservation.of(a, 4).and(b, 2).build();

    // a's 4 come from its backing; b is short; a's reserve is full, so they go back to the backing, which throws
    fa.throwOnFreeAfter(0);
    IllegalStateException e = assertThrows(IllegalStateException.class, r::tryReacquire);
    assertEquals("injected", e.getMessage(), "the backing allocator's exception reaches the caller");
    assertFalse(r.isHeld());
    assertEquals(8, fa.live(), "a's reserve and the 4 refused objects, which the pool keeps");
    assertEquals(0, a.mempoolStatistics().liveObjects(), "strays are not handed out");
    r.close(); // not held: nothing to do

    // refused again: the strays stay, and this attempt's 4 join them (its exception is reported)
    assertThrows(IllegalStateException.class, r::tryReacquire);
    assertEquals(4 + 4 + 4, fa.live(), "the reserve, the first attempt's 4 strays and this attempt's 4");

    // the next give-back of pool a returns them first; this attempt fails as before (b is still short)
    fa.heal();
    assertFalse(r.tryReacquire());
    assertFalse(r.isHeld());
    assertConserved(a, fa);

    for (long h : held) {
      b.free(h);
    }
    assertTrue(r.tryReacquire());
    r.close();
    assertConserved(a, fa);
    assertConserved(b, fb);
    a.close();
    b.close();
    assertEquals(0, fa.live());
    assertEquals(0, fb.live());
  }

  @Test
  void anotherReservationsGiveBackOrThePoolsCloseReturnsTheStrays() {
    ReservationDomain d = ReservationDomain.create("strays-close");
    FaultyAllocator fa = new FaultyAllocator("ca", 100);
    FaultyAllocator fb = new FaultyAllocator("cb", 4);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    List<Long> held = drain(b);
    Reservation r = Reservation.of(a, 3).and(b, 1).build();
    fa.throwOnFreeAfter(0);
    assertThrows(IllegalStateException.class, r::tryReacquire);
    assertEquals(4 + 3, fa.live());
    fa.heal();
    // another reservation over a: its give-back (b is short) returns the strays first
    Reservation other = Reservation.of(a, 1).and(b, 1).build();
    assertFalse(other.tryReacquire());
    assertConserved(a, fa);

    // again, and this time nothing gives back to a before it closes: close() returns them
    fa.throwOnFreeAfter(0);
    assertThrows(IllegalStateException.class, r::tryReacquire);
    assertEquals(4 + 3, fa.live());
    fa.heal();
    for (long h : held) {
      b.free(h);
    }
    a.close();
    b.close();
    assertEquals(0, fa.live(), "the pool's close returned its reserve and its strays");
    assertEquals(0, fb.live());
  }

  /**
   * The waiter's direct retry (the blocking path) fills every pool from its backing allocator; when one comes
   * up short it gives back what the others gave. A refused give-back there used to abort the loop (the later
   * pools' objects were not returned either) and leave the refused ones in a buffer the next retry overwrote.
   */
  @Test
  void aRefusedGiveBackOfTheWaitersDirectRetryLosesNothing() {
    ReservationDomain d = ReservationDomain.create("refused-direct");
    FaultyAllocator fa = new FaultyAllocator("da", 100);
    FaultyAllocator fc = new FaultyAllocator("dc", 100);
    FaultyAllocator fb = new FaultyAllocator("db", 4);
    Mempool a = pool(fa, d, 4);
    Mempool c = pool(fc, d, 4);
    Mempool b = pool(fb, d, 4);
    List<Long> held = drain(b);
    // a and c fill from their backings, b comes up short: a's and c's objects go back to full reserves, so to
    // the backings. The fast path's give-back (a's first 2 frees) succeeds; the direct retry's first free of
    // a throws, once. a's other object and all of c's must still be returned.
    Reservation r = Reservation.of(a, 2).and(c, 3).and(b, 1).build();
    fa.throwOnceOnFreeAfter(2);
    IllegalStateException e = assertThrows(IllegalStateException.class, r::reacquire);
    assertEquals("injected", e.getMessage());
    assertFalse(r.isHeld());
    assertConserved(c, fc);
    assertEquals(4 + 1, fa.live(), "a's reserve and the 1 refused object (2 would mean the fast path threw)");

    for (long h : held) {
      b.free(h);
    }
    r.reacquire(); // nothing to give back: a's stray stays
    assertTrue(r.isHeld());
    assertEquals(4 + 1 + 2, fa.live());
    r.close(); // its give-back returns the stray first
    assertConserved(a, fa);
    assertConserved(b, fb);
    assertConserved(c, fc);
    a.close();
    b.close();
    c.close();
    assertEquals(0, fa.live());
    assertEquals(0, fb.live());
    assertEquals(0, fc.live());
  }
}
