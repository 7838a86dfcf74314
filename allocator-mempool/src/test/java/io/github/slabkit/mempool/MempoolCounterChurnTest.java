package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Contexts and threads that come and go must not make the pool's counters grow: every {@code pool.local()}
 * registered counters that were kept, and copied, for ever, so the class documentation's {@code try
 * (MempoolLocal local = pool.local())} per operation made each new context cost time proportional to all
 * contexts ever taken (quadratic in total, 100,000 contexts took 7.5 s and kept their counters on the heap),
 * and every statistics call summed them all. The counts must stay exact.
 */
class MempoolCounterChurnTest {

  @Test
  void aContextPerOperationStaysCheapAndCountsExactly() {
    TestAllocator slab = new TestAllocator("churn-backing", 16, 64, 1);
    Mempool pool = Mempool.builder("churn", slab).minNr(2).build();
    int n = 400_000; // quadratic, this took about two minutes
    assertTimeoutPreemptively(
        Duration.ofSeconds(15),
        () -> {
          for (int i = 0; i < n; i++) {
            try (MempoolLocal l = pool.local()) {
              l.free(l.allocate());
            }
          }
        });
    MempoolStatistics s = pool.mempoolStatistics();
    assertEquals(n, s.allocations());
    assertEquals(n, s.frees());
    assertEquals(0, s.liveObjects());
    pool.close();
    assertEquals(0, slab.live());
  }

  @Test
  void countsOfEndedThreadsAndUnclosedContextsStay() throws Exception {
    TestAllocator slab = new TestAllocator("threads-backing", 16, 1024, 2);
    Mempool pool = Mempool.builder("threads", slab).minNr(2).build();
    int threads = 300;
    long[] kept = new long[threads];
    for (int t = 0; t < threads; t++) {
      int k = t;
      Thread th =
          new Thread(
              () -> {
                pool.free(pool.allocate());
                MempoolLocal l = pool.local(); // never closed: its thread ends with it
                kept[k] = l.allocate();
                l.free(l.allocate());
              });
      th.start();
      Waiting.join(th);
    }
    MempoolStatistics s = pool.mempoolStatistics();
    assertEquals(3L * threads, s.allocations());
    assertEquals(2L * threads, s.frees());
    assertEquals(threads, s.liveObjects());
    for (long h : kept) {
      pool.free(h);
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, slab.live());
  }
}
