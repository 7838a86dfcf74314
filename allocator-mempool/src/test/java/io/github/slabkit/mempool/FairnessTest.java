package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The starvation bound: a reservation of a pool's whole reserve, competing with a stream of single-object
 * reservations and allocations that keep the reserve almost never full, is granted once it claims the pool:
 * after one claim window of waiting, the objects the stream frees accumulate for it. Without claims the
 * work-conserving pool would hand every freed object to the stream and the whole-reserve demand would starve
 * (this test then fails at its deadline).
 */
class FairnessTest {
  private static final int STREAM_THREADS = 4;
  private static final int MIN_NR = 8;
  private static final Duration WINDOW = Duration.ofMillis(50);

  @Test
  void aWholeReserveReservationIsNotStarvedByAStreamOfSmallOnes() throws Exception {
    Reservation.checkedMode(true);
    try (TestAllocator slab = new TestAllocator("slab", 64, 64, 3)) {
      ReservationDomain domain = ReservationDomain.create("fairness", WINDOW);
      Mempool pool =
          Mempool.builder("pool", slab)
              .minNr(MIN_NR)
              .waitTimeout(Duration.ofMillis(50))
              .domain(domain)
              .build();
      slab.failAlways(true); // everything comes from the reserve
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong smallGrants = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> stream = new ArrayList<>();
      for (int t = 0; t < STREAM_THREADS; t++) {
        int id = t;
        stream.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        Reservation one = Reservation.of(pool, 1).build();
                        while (!stop.get()) {
                          if (id == 0) {
                            long h = pool.allocate(); // plain waiting allocations share the queue
                            Thread.onSpinWait();
                            pool.free(h);
                          } else {
                            one.reacquire();
                            long h = one.take(pool);
                            Thread.onSpinWait();
                            pool.free(h);
                            one.close();
                          }
                          smallGrants.incrementAndGet();
                        }
                      } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                      }
                    }));
      }
      Waiting.until("the stream runs", () -> smallGrants.get() > 1000);
      Reservation whole = Reservation.of(pool, MIN_NR).build();
      for (int round = 0; round < 20; round++) {
        // Would starve without claims: the reserve is almost never full.
        assertTrue(whole.tryReacquire(Waiting.DEADLINE_MS, TimeUnit.MILLISECONDS), "starved");
        assertEquals(MIN_NR, whole.remaining(pool));
        whole.close();
        long before = smallGrants.get();
        Waiting.until("the stream goes on", () -> smallGrants.get() > before + 10);
      }
      stop.set(true);
      for (Thread t : stream) {
        Waiting.join(t);
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      ReservationStatistics s = whole.statistics();
      System.out.println("fairness: " + s);
      assertEquals(20, s.acquisitions());
      assertTrue(s.waits() > 0, "the whole-reserve demand never had to wait: the test proves nothing");
      // Each wait needs one claim, or a few when the machine deschedules a stream thread holding an object
      // for a whole window; a broken claim (ignored by newcomers, never placed) starves until the deadline.
      assertTrue(
          s.claims() <= 4 * s.waits(),
          s.claims() + " claim windows for " + s.waits() + " waits: claims do not hold the reserve back");
      assertEquals(0, pool.mempoolStatistics().liveObjects());
      assertEquals(MIN_NR, pool.reserveLevel());
      pool.close();
    } finally {
      Reservation.checkedMode(false);
    }
  }
}
