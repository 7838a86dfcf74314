package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.slabkit.slab.SlabCache;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The statistics' promise: the fast path's counters (backing hits and frees, counted per thread without an
 * atomic instruction) are exact once the counting threads are quiescent, whatever kind of thread counted
 * and however their ids collide in the pool's thread table.
 */
class MempoolCountersTest {
  private static final int PER_THREAD = 1_000;

  @Test
  void countsAreExactAfterJoinForManyPlatformThreadsWithCollidingIds() throws InterruptedException {
    // 300 threads, more than the table has slots (256), alive at once: some ids collide and take the
    // ThreadLocal path; both paths must count.
    runAndCheck(300, false);
  }

  @Test
  void countsAreExactAfterJoinForVirtualThreads() throws InterruptedException {
    runAndCheck(200, true);
  }

  private static void runAndCheck(int threads, boolean virtual) throws InterruptedException {
    try (SlabCache cache = SlabCache.builder("counters-cache").objectSize(32).build();
        Mempool pool = Mempool.builder("counters", cache).minNr(4).build()) {
      MempoolStatistics before = pool.mempoolStatistics();
      CountDownLatch allStarted = new CountDownLatch(threads);
      List<Thread> started = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Runnable work =
            () -> {
              allStarted.countDown();
              try {
                allStarted.await(); // all alive at once, so table slots are contested
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
              for (int k = 0; k < PER_THREAD; k++) {
                pool.free(pool.allocate());
              }
            };
        started.add(virtual ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work));
      }
      for (Thread t : started) {
        t.join();
      }
      MempoolStatistics after = pool.mempoolStatistics();
      long n = (long) threads * PER_THREAD;
      assertEquals(n, after.allocations() - before.allocations(), "allocations");
      assertEquals(n, after.frees() - before.frees(), "frees");
      assertEquals(
          n,
          (after.backingHits() - before.backingHits()) + (after.reserveHits() - before.reserveHits()),
          "backing hits plus reserve hits");
      assertEquals(before.liveObjects(), after.liveObjects(), "everything came back");
    }
  }
}
