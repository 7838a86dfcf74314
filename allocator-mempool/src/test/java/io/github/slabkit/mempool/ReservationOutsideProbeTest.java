package io.github.slabkit.mempool;

import static io.github.slabkit.mempool.ReservationFixtures.assertConserved;
import static io.github.slabkit.mempool.ReservationFixtures.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Scenarios of an outside-style adversary round (through the public API only) on reservations across several
 * pools: backing allocators that throw midway, pools closed under held and idle reservations, interrupts of
 * the all-or-nothing wait, demands beyond a reserve; conservation after each. The round's defect (a refused
 * give-back losing objects) has its own test, {@link ReservationRefusedGiveBackTest}.
 */
class ReservationOutsideProbeTest {
  /** A backing allocator that throws while a three-pool reservation fills: nothing is kept, then it works. */
  @Test
  void aBackingAllocatorThatThrowsMidwayLosesNothing() {
    ReservationDomain d = ReservationDomain.create("throws");
    FaultyAllocator fa = new FaultyAllocator("fa", 100);
    FaultyAllocator fb = new FaultyAllocator("fb", 100);
    FaultyAllocator fc = new FaultyAllocator("fc", 100);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    Mempool c = pool(fc, d, 4);
    for (int n = 0; n < 4; n++) {
      fb.throwOnAllocateAfter(n);
      Reservation r = Reservation.of(a, 3).and(b, 3).and(c, 3).build();
      try {
        r.reacquire();
        // it may succeed from the reserve alone: then take all and free
        Mempool[] order = {a, b, c};
        List<Set<Long>> taken = new ArrayList<>();
        for (Mempool p : order) {
          Set<Long> seen = new HashSet<>();
          for (int i = 0; i < 3; i++) {
            assertTrue(seen.add(r.take(p)), "handed out twice");
          }
          taken.add(seen);
        }
        r.close();
        for (int i = 0; i < 3; i++) {
          for (long h : taken.get(i)) {
            order[i].free(h);
          }
        }
      } catch (IllegalStateException injected) {
        assertFalse(r.isHeld());
      }
      fb.heal();
      assertConserved(a, fa);
      assertConserved(b, fb);
      assertConserved(c, fc);
      try (Reservation ok = Reservation.of(a, 3).and(b, 3).and(c, 3).acquire()) {
        assertEquals(3, ok.remaining(b));
      }
      assertConserved(a, fa);
      assertConserved(b, fb);
      assertConserved(c, fc);
    }
    a.close();
    b.close();
    c.close();
  }

  /** Reacquire after one of the pools was closed: refused, and the open pool keeps everything. */
  @Test
  void reacquireAfterOnePoolClosedHoldsNothingOfTheOthers() {
    ReservationDomain d = ReservationDomain.create("closed");
    FaultyAllocator fa = new FaultyAllocator("ca", 100);
    FaultyAllocator fb = new FaultyAllocator("cb", 100);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    Reservation r = Reservation.of(a, 2).and(b, 2).build();
    r.reacquire();
    r.close();
    b.close();
    assertThrows(AllocatorClosedException.class, r::reacquire);
    assertFalse(r.isHeld());
    assertNull(tryOrNull(r));
    assertFalse(r.isHeld());
    assertConserved(a, fa);
    assertEquals(0, fb.live(), "b's reserve went back to its backing");
    // also for b first in the order
    Reservation r2 = Reservation.of(b, 1).and(a, 4).build();
    assertThrows(AllocatorClosedException.class, r2::reacquire);
    assertConserved(a, fa);
    a.close();
  }

  private static Boolean tryOrNull(Reservation r) {
    try {
      return r.tryReacquire() ? Boolean.TRUE : Boolean.FALSE;
    } catch (AllocatorClosedException e) {
      return null;
    }
  }

  /** A pool closed while a reservation of it is held: the close says so, and the reservation's close is sane. */
  @Test
  void closingAPoolUnderAHeldReservation() {
    ReservationDomain d = ReservationDomain.create("held");
    FaultyAllocator fa = new FaultyAllocator("ha", 100);
    FaultyAllocator fb = new FaultyAllocator("hb", 100);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    Reservation r = Reservation.of(a, 2).and(b, 2).acquire();
    long ta = r.take(a);
    assertThrows(IllegalStateException.class, b::close, "b has 2 objects held by the reservation");
    // whether b closed or not, closing the reservation must return a's objects to a
    try {
      r.close();
    } catch (RuntimeException e) {
      // b is closed: its objects cannot go back; a's must
    }
    a.free(ta);
    assertEquals(0, a.mempoolStatistics().liveObjects(), a.mempoolStatistics().toString());
    assertEquals(4, a.reserveLevel());
    a.close();
  }

  /**
   * Interrupts land at random times on threads that wait for a three-pool reservation while others free;
   * afterwards every pool is whole and nothing was handed out twice.
   */
  @Test
  void interruptsDuringTheAllOrNothingWaitConserve() throws Exception {
    ReservationDomain d = ReservationDomain.create("intr", Duration.ofMillis(2));
    FaultyAllocator fa = new FaultyAllocator("ia", 6);
    FaultyAllocator fb = new FaultyAllocator("ib", 6);
    FaultyAllocator fc = new FaultyAllocator("ic", 6);
    Mempool a = pool(fa, d, 4);
    Mempool b = pool(fb, d, 4);
    Mempool c = pool(fc, d, 4);
    Mempool[] ps = {a, b, c};
    Set<Long> live = ConcurrentHashMap.newKeySet();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong interrupted = new AtomicLong();
    AtomicLong acquired = new AtomicLong();
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      long seed = t;
      ts.add(Thread.ofPlatform().daemon().start(() -> {
        SplittableRandom rnd = new SplittableRandom(seed);
        try {
          while (System.nanoTime() < deadline && failure.get() == null) {
            int x = rnd.nextInt(3);
            int y = (x + 1 + rnd.nextInt(2)) % 3;
            Reservation r;
            try {
              r = Reservation.of(ps[x], 1 + rnd.nextInt(3)).and(ps[y], 1 + rnd.nextInt(3)).acquireInterruptibly();
            } catch (InterruptedException e) {
              interrupted.incrementAndGet();
              continue;
            }
            acquired.incrementAndGet();
            List<long[]> got = new ArrayList<>();
            for (int k = 0; k < 3 && r.remaining(ps[x]) > 0; k++) {
              long h = r.take(ps[x]);
              if (!live.add(h * 4 + x)) {
                throw new AssertionError("handed out twice: " + h);
              }
              got.add(new long[] {h, x});
            }
            r.close();
            Thread.onSpinWait();
            for (long[] g : got) {
              live.remove(g[0] * 4 + g[1]);
              ps[(int) g[1]].free(g[0]);
            }
            Thread.interrupted();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    SplittableRandom rnd = new SplittableRandom(99);
    while (System.nanoTime() < deadline) {
      ts.get(rnd.nextInt(ts.size())).interrupt();
      TimeUnit.MICROSECONDS.sleep(200);
    }
    for (Thread t : ts) {
      t.join(Duration.ofSeconds(30));
      assertFalse(t.isAlive(), "a thread stalled; " + d.describeWaiters());
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertTrue(acquired.get() > 10, acquired + " acquired, " + interrupted + " interrupted");
    assertEquals(0, d.waiting());
    assertConserved(a, fa);
    assertConserved(b, fb);
    assertConserved(c, fc);
    a.close();
    b.close();
    c.close();
  }

  /** Demand limits: above minNr refused at once; above minNr - headroom refused for ordinary priority. */
  @Test
  void demandsBeyondTheReserve() {
    ReservationDomain d = ReservationDomain.create("limits");
    FaultyAllocator fa = new FaultyAllocator("la", 100);
    Mempool a = Mempool.builder("la", fa).minNr(4).headroom(1).domain(d).build();
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 5));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 3).and(a, 2));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 4).build());
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 0));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, Integer.MIN_VALUE));
    assertThrows(IllegalArgumentException.class, () -> Reservation.of(a, 3).and(a, Integer.MAX_VALUE));
    Reservation big = Reservation.of(a, 4).priority(AllocationPriority.RECLAIMING).acquire();
    assertEquals(4, big.remaining(a));
    long[] hs = new long[4];
    for (int i = 0; i < 4; i++) {
      hs[i] = big.take(a);
    }
    assertThrows(IllegalStateException.class, () -> big.take(a));
    big.close();
    assertThrows(IllegalStateException.class, () -> big.take(a), "take after close");
    assertEquals(4, a.mempoolStatistics().liveObjects());
    for (long h : hs) {
      a.free(h);
    }
    assertConserved(a, fa);
    a.close();
  }
}
