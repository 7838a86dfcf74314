package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Allocation priority and headroom: the kernel's watermarks and {@code __GFP_MEMALLOC}. */
class MempoolPriorityTest {
  private TestAllocator slab;
  private Mempool pool;

  @BeforeEach
  void setUp() {
    slab = new TestAllocator("slab", 16, 64, 4);
    pool =
        Mempool.builder("pool", slab)
            .minNr(4)
            .headroom(2)
            .domain(ReservationDomain.create("priority", Duration.ofHours(1)))
            .build();
    slab.failAlways(true);
  }

  @AfterEach
  void tearDown() {
    pool.close();
    slab.close();
  }

  @Test
  void ordinaryAllocationsStopAtTheHeadroomReclaimingOnesTakeIt() {
    long a = pool.tryAllocate();
    long b = pool.tryAllocate();
    assertNotEquals(0, a);
    assertNotEquals(0, b);
    assertEquals(2, pool.reserveLevel());
    assertEquals(0, pool.tryAllocate(), "an ordinary allocation stops at the headroom");
    assertEquals(0, pool.tryAllocate(AllocationPriority.NORMAL));
    long c = pool.tryAllocate(AllocationPriority.RECLAIMING);
    long d = pool.allocate(AllocationPriority.RECLAIMING); // does not wait: the headroom is there
    assertNotEquals(0, c);
    assertNotEquals(0, d);
    assertEquals(0, pool.reserveLevel());
    assertEquals(0, pool.tryAllocate(AllocationPriority.RECLAIMING), "nothing left at all");
    for (long h : new long[] {a, b, c, d}) {
      pool.free(h);
    }
    assertEquals(4, pool.reserveLevel());
  }

  @Test
  void aBlockingOrdinaryAllocationWaitsWhileAReclaimingOneProceeds() throws Exception {
    long a = pool.allocate();
    long b = pool.allocate();
    long[] got = new long[1];
    Thread writer = Thread.ofPlatform().start(() -> got[0] = pool.allocate());
    Waiting.until("the ordinary allocation waits at the headroom", () -> pool.mempoolStatistics().waiting() == 1);
    assertEquals(2, pool.reserveLevel(), "the waiter holds nothing and leaves the headroom alone");
    long flusher = pool.allocate(AllocationPriority.RECLAIMING);
    assertNotEquals(0, flusher, "the reclaiming allocation passes the waiting writer");
    pool.free(flusher); // level 2 = headroom: still nothing for the writer
    assertEquals(1, pool.mempoolStatistics().waiting());
    pool.free(a); // level 3: one above the headroom, granted to the writer
    Waiting.join(writer);
    assertNotEquals(0, got[0]);
    pool.free(got[0]);
    pool.free(b);
  }

  @Test
  void demandsAreCheckedAgainstWhatThePriorityMayReach() {
    assertThrows(IllegalArgumentException.class, () -> pool.allocateBulk(new long[3], 3), "3 > minNr - headroom");
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(pool, 3).build());
    try (Reservation r = Reservation.of(pool, 4).priority(AllocationPriority.RECLAIMING).acquire()) {
      assertEquals(4, r.remaining(pool), "a reclaiming reservation may take the whole reserve");
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Mempool.builder("bad", slab).minNr(2).headroom(2).build());
    assertTrue(e.getMessage().contains("headroom 2 must be below minNr 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Mempool.builder("bad", slab).headroom(-1));
    assertThrows(IllegalStateException.class, () -> pool.resize(2), "minNr must stay above the headroom");
    assertEquals(4, slab.live(), "nothing allocated by the refused calls");
  }

  @Test
  void aReclaimingBulkAllocationTakesTheHeadroomAllOrNothingAndMayBeAsLargeAsMinNr() {
    long[] all = new long[4];
    pool.allocateBulk(all, 4, AllocationPriority.RECLAIMING); // does not wait: the whole reserve is there
    assertEquals(0, pool.reserveLevel());
    for (long h : all) {
      assertNotEquals(0, h);
      pool.free(h);
    }
    long a = pool.allocate();
    long b = pool.allocate(); // the reserve is at its headroom: 2
    assertThrows(IllegalArgumentException.class, () -> pool.allocateBulk(new long[3], 3, AllocationPriority.NORMAL));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> pool.allocateBulk(new long[5], 5, AllocationPriority.RECLAIMING));
    assertTrue(e.getMessage().contains("exceeds the 4 a reclaiming request may take"), e.getMessage());
    long[] two = new long[2];
    pool.allocateBulk(two, 2, AllocationPriority.RECLAIMING);
    assertEquals(0, pool.reserveLevel());
    for (long h : new long[] {a, b, two[0], two[1]}) {
      pool.free(h);
    }
    assertEquals(4, pool.reserveLevel());
    assertEquals(4, slab.live(), "nothing lost: the reserve holds all four");
  }

  @Test
  void aWaitingReclaimingBulkAllocationParksUntilAllCanBeHadAndPassesAnOrdinaryWaiter() throws Exception {
    long[] mine = new long[4];
    pool.allocateBulk(mine, 4, AllocationPriority.RECLAIMING);
    long[] got = new long[3];
    Thread writer = Thread.ofPlatform().start(() -> got[2] = pool.allocate());
    Waiting.until("the ordinary allocation waits", () -> pool.mempoolStatistics().waiting() == 1);
    Thread flusher = Thread.ofPlatform().start(() -> pool.allocateBulk(got, 2, AllocationPriority.RECLAIMING));
    Waiting.until("the reclaiming bulk allocation waits", () -> pool.mempoolStatistics().waiting() == 2);
    long allocations = pool.mempoolStatistics().allocations();
    pool.free(mine[0]); // one: short of two, and at the headroom, so nothing for the writer either
    Thread.sleep(50);
    assertEquals(2, pool.mempoolStatistics().waiting(), "both still wait");
    assertEquals(1, pool.reserveLevel(), "the waiting bulk allocation holds nothing");
    assertEquals(allocations, pool.mempoolStatistics().allocations(), "parked: it took nothing meanwhile");
    pool.free(mine[1]); // two: the reclaiming demand is served from the headroom, the writer still waits
    Waiting.join(flusher);
    assertNotEquals(0, got[0]);
    assertNotEquals(0, got[1]);
    assertEquals(1, pool.mempoolStatistics().waiting());
    pool.free(mine[2]);
    pool.free(mine[3]);
    pool.free(got[0]); // three: one above the headroom, for the writer
    Waiting.join(writer);
    assertNotEquals(0, got[2]);
    pool.free(got[1]);
    pool.free(got[2]);
    assertEquals(4, pool.reserveLevel());
  }

  @Test
  void aReclaimingBulkAllocationOnAClosedPoolThrowsAndTakesNothing() {
    pool.close();
    assertThrows(io.github.slabkit.allocator.AllocatorClosedException.class,
        () -> pool.allocateBulk(new long[2], 2, AllocationPriority.RECLAIMING));
    pool.allocateBulk(new long[2], 0, AllocationPriority.RECLAIMING); // an empty demand is no call at all
  }
}
