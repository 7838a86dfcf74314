package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Size parameters at their extremes: a huge {@code minNr} or resize is refused before anything is allocated,
 * and a reserve the backing allocator cannot fill fails with its exception, holding nothing.
 */
class MempoolSizeLimitsTest {
  /** 256 KiB: 8192 objects of 32 B, in slabs of 8. */
  private static SlabCache smallCache(String name, MemoryBudget budget) {
    return SlabCache.builder(name).objectSize(32).objectsPerSlab(8).budget(budget).maxWait(Duration.ZERO)
        .build();
  }

  /** Before the bound, {@code minNr(Integer.MAX_VALUE)} died with "Requested array size exceeds VM limit". */
  @Test
  void aMinNrAboveTheBoundIsRefusedByTheBuilderNamingTheBound() {
    MemoryBudget budget = MemoryBudget.ofBytes("huge-min", 256 << 10);
    try (SlabCache c = smallCache("huge-min", budget)) {
      for (int bad : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 8, Mempool.MAX_MIN_NR + 1}) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class, () -> Mempool.builder("huge-min-pool", c).minNr(bad).build());
        assertTrue(e.getMessage().contains("huge-min-pool"), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(Mempool.MAX_MIN_NR)), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
      }
      assertEquals(0, c.slabStatistics().activeObjects());
      assertEquals(0, budget.used(), "nothing was charged");
    }
  }

  /**
   * The largest allowed {@code minNr} over a 256 KiB budget fails with the backing cache's exception as the
   * cause, after chunks were taken, and every object taken goes back.
   */
  @Test
  void aMinNrTheBackingCannotFillFailsWithItsExceptionAndHoldsNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("min-fill", 256 << 10);
    try (SlabCache c = smallCache("min-fill", budget)) {
      for (int minNr : new int[] {Mempool.MAX_MIN_NR, 20_000, 8193}) {
        AllocationFailedException e =
            assertThrows(
                AllocationFailedException.class,
                () -> Mempool.builder("min-fill-pool", c).minNr(minNr).build());
        assertTrue(e.getMessage().contains("minNr=" + minNr), e.getMessage());
        assertTrue(e.getMessage().contains("nothing is held"), e.getMessage());
        assertInstanceOf(AllocationFailedException.class, e.getCause());
        assertEquals(0, c.slabStatistics().activeObjects(), "every object taken was freed again");
        c.shrink();
        assertEquals(0, budget.used(), "and its slabs can be released");
      }
      // Exactly what the budget holds still works, in chunks.
      try (Mempool p = Mempool.builder("min-fill-ok", c).minNr(8192).build()) {
        assertEquals(8192, p.reserveLevel());
      }
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  /** Before the bound, {@code resize(Integer.MAX_VALUE)} tried to allocate the array up front. */
  @Test
  void aResizeAboveTheBoundIsRefusedAndChangesNothing() {
    MemoryBudget budget = MemoryBudget.ofBytes("huge-resize", 256 << 10);
    try (SlabCache c = smallCache("huge-resize", budget);
        Mempool p = Mempool.builder("huge-resize-pool", c).minNr(4).build()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> p.resize(Integer.MAX_VALUE));
      assertTrue(e.getMessage().contains(String.valueOf(Mempool.MAX_MIN_NR)), e.getMessage());
      assertEquals(4, p.minNr());
      assertEquals(4, p.reserveLevel());
    }
  }

  /**
   * A valid but large resize refills only as far as the backing allocator goes without waiting; frees then
   * fill the reserve past its first array, and shrinking back returns everything.
   */
  @Test
  void aLargeResizeGrowsTheReserveAsItIsFilled() {
    MemoryBudget budget = MemoryBudget.ofBytes("big-resize", 256 << 10);
    try (SlabCache c = smallCache("big-resize", budget)) {
      Mempool p = Mempool.builder("big-resize-pool", c).minNr(4).build();
      p.resize(Mempool.MAX_MIN_NR);
      assertEquals(Mempool.MAX_MIN_NR, p.minNr());
      assertEquals(8192, p.reserveLevel(), "filled as far as the budget goes");
      long[] hs = new long[8192];
      for (int i = 0; i < hs.length; i++) {
        hs[i] = p.allocate();
      }
      assertEquals(0, p.reserveLevel());
      for (long h : hs) {
        p.free(h);
      }
      assertEquals(8192, p.reserveLevel(), "every free went back to the reserve");
      p.resize(4);
      assertEquals(4, p.reserveLevel());
      p.close();
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  /** Huge counts for bulk calls and reservations are refused with the limit, before anything is taken. */
  @Test
  void hugeBulkAndReservationCountsAreRefused() {
    try (SlabCache c = smallCache("huge-counts", MemoryBudget.ofBytes("huge-counts", 256 << 10));
        Mempool p = Mempool.builder("huge-counts-pool", c).minNr(4).build()) {
      long[] dst = new long[8];
      assertThrows(IllegalArgumentException.class, () -> p.allocateBulk(dst, Integer.MAX_VALUE));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> p.allocateBulk(dst, 5));
      assertTrue(e.getMessage().contains("minNr=4"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Reservation.of(p, Integer.MAX_VALUE));
      assertThrows(
          IllegalArgumentException.class,
          () -> Reservation.of(p, 2).and(p, Integer.MAX_VALUE - 1).build());
      assertThrows(IllegalArgumentException.class, () -> Reservation.of(p, 5).build());
      assertEquals(4, p.reserveLevel(), "nothing was taken");
    }
  }

  /** A claim window too long for nanoseconds saturates, as documented, instead of overflowing. */
  @Test
  void aHugeClaimWindowSaturates() {
    ReservationDomain d = ReservationDomain.create("huge-window", Duration.ofSeconds(Long.MAX_VALUE));
    try (SlabCache c = smallCache("huge-window", MemoryBudget.ofBytes("huge-window", 256 << 10));
        Mempool p = Mempool.builder("huge-window-pool", c).minNr(4).domain(d).build()) {
      try (Reservation r = Reservation.of(p, 4).acquire()) {
        assertEquals(4, r.remaining(p));
      }
      assertEquals(4, p.reserveLevel());
    }
  }
}
