package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Mempool#allocateBulk}'s documented outcomes when a {@link Mempool#resize} races it down below its
 * demand: the bulk is served; or the resize came first and it throws {@link IllegalArgumentException}; or
 * the resize came between its check and its wait and it throws {@link IllegalStateException} naming the new
 * limit; it holds nothing when it throws. The resize succeeds, or is refused because the bulk already waits. Never a hang, never another exception, nothing held afterwards.
 */
class MempoolBulkResizeRaceTest {
  @Test
  void aBulkAllocationRacingAResizeBelowItsDemandIsServedOrRefusedAndNeverHangs() throws Exception {
    int refusedBulks = 0;
    int servedBulks = 0;
    int lateRefusals = 0;
    for (int round = 0; round < 200; round++) {
      TestAllocator backing = new TestAllocator("race-backing", 16, 64, round);
      Mempool pool =
          Mempool.builder("race-" + round, backing)
              .minNr(4)
              .waitTimeout(Duration.ofMillis(5))
              .domain(ReservationDomain.create("bulk-resize-" + round, Duration.ofMillis(1)))
              .build();
      backing.failAlways(true); // only the reserve serves from now on
      long x = pool.allocate();
      long y = pool.allocate(); // the reserve holds 2: a bulk of 3 must wait for frees
      long[] dst = new long[3];
      AtomicReference<Throwable> bulkThrew = new AtomicReference<>();
      AtomicReference<Throwable> resizeThrew = new AtomicReference<>();
      CountDownLatch go = new CountDownLatch(1);
      Thread bulk =
          Thread.ofPlatform().start(() -> {
            try {
              go.await();
              pool.allocateBulk(dst, 3);
            } catch (Throwable t) {
              bulkThrew.set(t);
            }
          });
      Thread resizer =
          Thread.ofPlatform().start(() -> {
            try {
              go.await();
              pool.resize(2);
            } catch (Throwable t) {
              resizeThrew.set(t);
            }
          });
      go.countDown();
      resizer.join(30_000);
      assertFalse(resizer.isAlive(), "round " + round + ": resize hangs");
      pool.free(x); // serves a waiting bulk (with minNr 4 the reserve refills to 4)
      pool.free(y);
      bulk.join(30_000);
      assertFalse(bulk.isAlive(), "round " + round + ": the bulk allocation hangs");
      Throwable b = bulkThrew.get();
      Throwable r = resizeThrew.get();
      if (b == null) {
        servedBulks++;
        pool.freeBulk(dst, 3);
      } else {
        refusedBulks++;
        if (b instanceof IllegalStateException) {
          lateRefusals++; // the resize came between the bulk's check and its wait
          assertTrue(b.getMessage().contains("at most"), b.getMessage());
        } else {
          // the resize came first: the size check refuses the demand up front
          assertTrue(b instanceof IllegalArgumentException, "round " + round + ": bulk threw " + b);
        }
        assertEquals(null, r, "round " + round + ": the bulk was refused, so the resize must have won");
      }
      if (r != null) {
        assertTrue(r instanceof IllegalStateException, "round " + round + ": resize threw " + r);
        assertTrue(r.getMessage().contains("cannot resize"), r.getMessage());
      }
      assertEquals(0, pool.mempoolStatistics().liveObjects(), "round " + round + ": objects still held");
      pool.close();
      backing.close();
    }
    assertEquals(200, servedBulks + refusedBulks, servedBulks + " + " + refusedBulks);
    System.out.println(
        "bulk vs resize: " + servedBulks + " served, " + refusedBulks + " refused (" + lateRefusals
            + " after the check, before the wait)");
  }
}
