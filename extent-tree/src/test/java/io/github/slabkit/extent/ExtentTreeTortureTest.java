package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exhaustion torture of the extent tree (issue 10): a budget of 32 states, a mempool reserve of 2 to 8,
 * eight workers (four platform threads, four virtual) mixing set, clear, convert, lock, tryLock, unlock and
 * queries on overlapping ranges of a 64-byte universe, and a flusher that locks, clears and unlocks dirty
 * ranges with the reclaiming priority. Writers are throttled as the package documentation advises: before
 * an operation that may allocate, a writer pauses while the reserve is down to its headroom, giving the
 * flusher time, and then goes on anyway (correctness never depends on the throttle).
 *
 * <p>A watchdog checks every second that operations complete; a stall fails the test with every worker's
 * current operation, the tree's and the pool's counters and the stacks of the parked platform threads. At
 * the end every state is back in the pool, the slab cache and the budget. Runs {@value #DEFAULT_SECONDS}
 * seconds per case; {@code -Dslabkit.torture.seconds=N} runs longer.
 */
class ExtentTreeTortureTest {
  static final int DEFAULT_SECONDS = 2;
  private static final int UNIVERSE = 64;
  static final int WORKERS = 8;
  private static final int[] BITS = {DIRTY, DELALLOC, DEFRAG, DIRTY | DELALLOC};

  @ParameterizedTest(name = "reserve {0}, headroom {1}")
  @CsvSource({"2, 0", "5, 1", "8, 2"})
  void noStallUnderExhaustion(int reserve, int headroom) throws Exception {
    long seconds = Long.getLong("slabkit.torture.seconds", DEFAULT_SECONDS);
    SlabCache probe = SlabCache.builder("probe").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(16).build();
    long slabBytes = probe.slabStatistics().slabBytes();
    probe.close();
    MemoryBudget budget = MemoryBudget.ofBytes("torture", 2 * slabBytes); // 32 states
    SlabCache slab = SlabCache.builder("torture-states").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(16)
        .budget(budget).maxWait(Duration.ZERO).build();
    Mempool pool = Mempool.builder("torture-pool", slab).minNr(reserve).headroom(headroom).build();
    ExtentTree tree = ExtentTree.builder("torture").pool(pool).build();

    AtomicLong done = new AtomicLong();
    AtomicReferenceArray<String> doing = new AtomicReferenceArray<>(WORKERS + 1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      int id = w;
      Runnable body = () -> worker(id, tree, pool, deadline, done, doing, failure);
      threads.add(w < WORKERS / 2
          ? Thread.ofPlatform().name("torture-" + w).daemon().start(body)
          : Thread.ofVirtual().name("torture-v" + w).start(body));
    }
    workers.addAll(threads);
    // The flusher runs until every worker has stopped: a writer waiting for memory needs it.
    threads.add(Thread.ofPlatform().name("torture-flusher").daemon()
        .start(() -> flusher(WORKERS, tree, workers, done, doing, failure)));

    long last = -1;
    while (threads.stream().anyMatch(Thread::isAlive)) {
      TimeUnit.SECONDS.sleep(1);
      long now = done.get();
      if (now == last && threads.stream().anyMatch(Thread::isAlive)) {
        StringBuilder sb = new StringBuilder("no operation completed for a second: ");
        for (int i = 0; i <= WORKERS; i++) {
          sb.append("\n  worker ").append(i).append(": ").append(doing.get(i));
        }
        sb.append("\n  ").append(Watchdog.status(() -> tree.statistics().toString()))
            .append("\n  ").append(pool.mempoolStatistics()).append('\n');
        fail(sb.append(Watchdog.dump()).toString());
      }
      last = now;
    }
    if (failure.get() != null) {
      throw new AssertionError("a worker failed", failure.get());
    }
    assertTrue(done.get() > 1000, "work was done: " + done.get());
    assertTrue(pool.mempoolStatistics().reserveHits() > 0, "the reserve was used: " + pool.mempoolStatistics());
    tree.verify();
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.close();
    assertEquals(0, pool.mempoolStatistics().liveObjects(), "every state back in the pool");
    pool.close();
    assertEquals(0, slab.slabStatistics().activeObjects(), "every state back in the cache");
    slab.close();
    assertEquals(0, budget.used(), "every slab back in the budget");
  }

  static void worker(int id, ExtentTree tree, Mempool pool, long deadline, AtomicLong done,
      AtomicReferenceArray<String> doing, AtomicReference<Throwable> failure) {
    SplittableRandom rnd = new SplittableRandom(id * 7919L + 1);
    RangeResult out = new RangeResult();
    try {
      while (System.nanoTime() < deadline && failure.get() == null) {
        long s = rnd.nextInt(UNIVERSE);
        long e = Math.min(UNIVERSE - 1, s + rnd.nextInt(12));
        int bits = BITS[rnd.nextInt(BITS.length)];
        int kind = rnd.nextInt(10);
        if (kind <= 5) {
          throttle(pool);
        }
        switch (kind) {
          case 0, 1 -> {
            doing.set(id, "set [" + s + ", " + e + "]");
            tree.set(s, e, bits);
          }
          case 2 -> {
            doing.set(id, "clear [" + s + ", " + e + "]");
            tree.clear(s, e, bits);
          }
          case 3 -> {
            doing.set(id, "convert [" + s + ", " + e + "]");
            tree.convert(s, e, DEFRAG, DELALLOC);
          }
          case 4 -> { // a buffered write: inside the lock only whole-range changes, which need no memory
            doing.set(id, "lock [" + s + ", " + e + "]");
            tree.lock(s, e);
            doing.set(id, "set under lock [" + s + ", " + e + "]");
            tree.set(s, e, DIRTY | DELALLOC);
            doing.set(id, "unlock [" + s + ", " + e + "]");
            tree.unlock(s, e);
          }
          case 5 -> {
            doing.set(id, "tryLock [" + s + ", " + e + "]");
            if (tree.tryLock(s, e)) {
              doing.set(id, "clear under lock [" + s + ", " + e + "]");
              tree.clear(s, e, bits);
              tree.unlock(s, e, LOCKED | DEFRAG, null);
            }
          }
          default -> {
            doing.set(id, "queries at " + s);
            tree.findFirst(s, bits, out);
            tree.rangeHasAll(s, e, bits);
            tree.countBytes(s, e, -1, bits, rnd.nextBoolean());
            tree.findFirstClear(s, LOCKED, out);
            tree.findDelallocRange(s, 16, out);
          }
        }
        doing.set(id, "idle");
        done.incrementAndGet();
      }
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    }
  }

  /** The flusher: lock (reclaiming), clear and unlock every dirty range, over and over. */
  static void flusher(int id, ExtentTree tree, List<Thread> workers, AtomicLong done,
      AtomicReferenceArray<String> doing, AtomicReference<Throwable> failure) {
    RangeResult r = new RangeResult();
    try {
      while (workers.stream().anyMatch(Thread::isAlive)) {
        long from = 0;
        while (from < UNIVERSE && tree.findFirst(from, DIRTY | DELALLOC | DEFRAG, r)) {
          long s = Math.max(from, r.start());
          long e = r.end();
          doing.set(id, "flusher lock [" + s + ", " + e + "]");
          tree.lockForReclaim(s, e, LOCKED, null);
          doing.set(id, "flusher clear [" + s + ", " + e + "]");
          tree.clear(s, e, DIRTY | DELALLOC | DEFRAG);
          doing.set(id, "flusher unlock [" + s + ", " + e + "]");
          tree.unlock(s, e);
          done.incrementAndGet();
          from = e + 1;
        }
        doing.set(id, "flusher idle");
        LockSupport.parkNanos(100_000);
      }
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    }
  }

  /** balance_dirty_pages: while the reserve is down to its headroom, give the flusher up to 20 ms. */
  private static void throttle(Mempool pool) {
    for (int i = 0; i < 20 && pool.reserveLevel() <= pool.headroom(); i++) {
      LockSupport.parkNanos(1_000_000);
    }
  }
}
