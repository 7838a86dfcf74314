package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * resize() up and down racing blocking, timed, bulk, context and reservation allocations over a slab cache
 * with a tight budget, under a progress watchdog (fails with a thread dump, never hangs). Afterwards nothing
 * is live, the cache reports no leak and the budget is back to zero.
 */
class MempoolResizeTortureTest {
  @Test
  void resizeRacingEverything() throws Exception {
    long seed = System.nanoTime();
    for (int round = 0; round < 5; round++) {
      runRound(seed + round);
    }
  }

  private static void runRound(long seed) throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("r3-tight", 16 * 64);
    SlabCache cache = SlabCache.builder("r3-cache").objectSize(64).objectsPerSlab(4).magazineSize(2)
        .budget(budget).maxWait(Duration.ofMillis(2)).build();
    ReservationDomain d = ReservationDomain.create("r3-torture", Duration.ofMillis(2));
    Mempool pool = Mempool.builder("r3-pool", cache).minNr(4).domain(d).waitTimeout(Duration.ofMillis(5)).build();
    Mempool pool2 = Mempool.builder("r3-pool2", cache).minNr(2).domain(d).waitTimeout(Duration.ofMillis(5)).build();
    AtomicLong progress = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      long s = seed * 31 + t;
      Thread th = new Thread(() -> {
        SplittableRandom rnd = new SplittableRandom(s);
        try {
          while (System.nanoTime() < end) {
            int op = rnd.nextInt(5);
            if (op == 0) {
              long h = pool.allocate();
              Thread.onSpinWait();
              pool.free(h);
            } else if (op == 1) {
              long h = pool.tryAllocate(1, TimeUnit.MILLISECONDS);
              if (h != 0) {
                pool.free(h);
              }
            } else if (op == 2) {
              try (Reservation r = Reservation.of(pool, 1).and(pool2, 1).acquire()) {
                long a = r.take(pool);
                pool.free(a);
              }
            } else if (op == 3) {
              long[] two = new long[1];
              pool.allocateBulk(two, 1);
              pool.free(two[0]);
            } else {
              try (MempoolLocal l = pool.local()) {
                long h = l.allocate();
                l.free(h);
              }
            }
            progress.incrementAndGet();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "r3-worker-" + t);
      threads.add(th);
    }
    Thread resizer = new Thread(() -> {
      SplittableRandom rnd = new SplittableRandom(seed);
      try {
        while (System.nanoTime() < end) {
          try {
            pool.resize(1 + rnd.nextInt(6));
          } catch (IllegalStateException e) {
            // a waiting demand needs more: documented
          }
          progress.incrementAndGet();
          Thread.sleep(0, 200_000);
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }, "r3-resizer");
    threads.add(resizer);
    threads.forEach(th -> th.setDaemon(true)); // a stuck uninterruptible wait must not keep the JVM
    threads.forEach(Thread::start);
    long last = -1;
    long stuckSince = System.nanoTime();
    while (threads.stream().anyMatch(Thread::isAlive)) {
      Thread.sleep(50);
      long p = progress.get();
      if (p != last) {
        last = p;
        stuckSince = System.nanoTime();
      } else if (System.nanoTime() - stuckSince > TimeUnit.SECONDS.toNanos(5)) {
        StringBuilder sb = new StringBuilder("no progress, seed " + seed + "\n" + d.describeWaiters());
        for (ThreadInfo ti : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
          if (ti.getThreadName().startsWith("r3-")) {
            sb.append(ti);
          }
        }
        threads.forEach(Thread::interrupt);
        fail(sb.toString());
      }
    }
    if (failure.get() != null) {
      throw new AssertionError("seed " + seed, failure.get());
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects(), "seed " + seed);
    assertTrue(pool.reserveLevel() <= pool.minNr());
    pool.close();
    pool2.close();
    cache.close();
    assertEquals(0, cache.leakedObjects(), "seed " + seed);
    assertEquals(0, budget.used(), "seed " + seed);
  }
}
