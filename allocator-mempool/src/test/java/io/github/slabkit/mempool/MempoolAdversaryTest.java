package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.slab.SlabCache;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What an outside checker tries on pools and reservations: close with objects out, refused frees. */
class MempoolAdversaryTest {
  private static SlabCache slab(String name) {
    return SlabCache.builder(name).objectSize(32).objectsPerSlab(8).throwOnLeak(true).build();
  }

  /**
   * A pool closed while a reservation holds objects reports them; closing the reservation afterwards gives
   * them to the backing cache, so nothing is lost and the cache closes clean.
   */
  @Test
  void aReservationClosedAfterItsPoolGivesEverythingToTheBacking() {
    SlabCache c = slab("res-after-close");
    Mempool p = Mempool.builder("res-after-close-pool", c).minNr(4).build();
    Reservation r = Reservation.of(p, 3).acquire();
    long taken = r.take(p);
    IllegalStateException e = assertThrows(IllegalStateException.class, p::close);
    assertTrue(e.getMessage().contains("res-after-close-pool"), e.getMessage());
    assertDoesNotThrow(r::close);
    c.free(taken); // the pool is closed: its objects are ordinary objects of the backing cache
    assertEquals(0, c.slabStatistics().activeObjects(), "every object is back in the backing cache");
    assertDoesNotThrow(c::close);
  }

  /** A double free through a reservation's objects is refused wherever the first free put the object. */
  @Test
  void aSecondFreeOfATakenObjectIsRefusedAndNothingIsHandedOutTwice() {
    SlabCache c = slab("res-double-free");
    Mempool p = Mempool.builder("res-double-free-pool", c).minNr(4).build();
    long h;
    try (Reservation r = Reservation.of(p, 2).acquire()) {
      h = r.take(p);
    }
    p.free(h);
    assertThrows(InvalidHandleException.class, () -> p.free(h));
    Set<Long> out = new HashSet<>();
    for (int i = 0; i < 12; i++) {
      assertTrue(out.add(p.allocate()), "one object handed out twice");
    }
    for (long x : out) {
      p.free(x);
    }
    p.close();
    assertEquals(0, c.slabStatistics().activeObjects());
    assertDoesNotThrow(c::close);
  }

  /** Bulk frees through a context and the pool refuse a double free in the middle and keep the rest exact. */
  @Test
  void aDoubleFreeInsideAMempoolBulkIsRefused() {
    SlabCache c = slab("bulk-double-free");
    Mempool p = Mempool.builder("bulk-double-free-pool", c).minNr(4).build();
    long[] hs = new long[4];
    p.allocateBulk(hs, 4);
    long[] twice = {hs[0], hs[1], hs[0], hs[2]};
    assertThrows(InvalidHandleException.class, () -> p.freeBulk(twice, 4));
    p.free(hs[2]);
    p.free(hs[3]);
    Set<Long> out = new HashSet<>();
    for (int i = 0; i < 12; i++) {
      assertTrue(out.add(p.allocate()), "one object handed out twice");
    }
    for (long x : out) {
      p.free(x);
    }
    p.close();
    assertEquals(0, c.slabStatistics().activeObjects());
    assertDoesNotThrow(c::close);
  }
}
