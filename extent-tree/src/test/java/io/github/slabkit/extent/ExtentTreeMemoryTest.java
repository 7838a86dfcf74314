package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Under a budget of one small slab the slab cache soon refuses allocations; every operation still succeeds
 * from the mempool's reserve, and at close every off-heap state is back.
 */
class ExtentTreeMemoryTest {
  private static final int[] BITS = {DIRTY, DELALLOC, DEFRAG, DIRTY | DEFRAG};

  @Test
  void operationsSucceedFromTheReserveWhenTheSlabCacheFails() {
    MemoryBudget budget = MemoryBudget.ofBytes("tiny", 4096);
    ExtentTree tree =
        ExtentTree.builder("tiny-tree").budget(budget).slabSize(4096).reserve(40).maxWait(Duration.ZERO).build();
    SlabCache slab = tree.slabCache();
    Mempool pool = tree.mempool();
    assertTrue(slab != null && pool != null);
    int capacity = slab.slabStatistics().objectsPerSlab();
    assertTrue(capacity >= 72, "one 4 KiB slab holds " + capacity + " states");
    int universe = 64;
    int[] model = new int[universe];
    SplittableRandom rnd = new SplittableRandom(7);
    for (int op = 0; op < 20_000; op++) {
      int s = rnd.nextInt(universe);
      int e = s + rnd.nextInt(Math.min(4, universe - s));
      int bits = BITS[rnd.nextInt(BITS.length)];
      if (rnd.nextBoolean()) {
        tree.set(s, e, bits);
        for (int i = s; i <= e; i++) {
          model[i] |= bits;
        }
      } else {
        tree.clear(s, e, bits);
        for (int i = s; i <= e; i++) {
          model[i] &= ~bits;
        }
      }
    }
    for (int i = 0; i < universe; i++) {
      assertEquals(model[i], tree.bitsAt(i), "byte " + i);
    }
    tree.verify();
    assertTrue(pool.mempoolStatistics().reserveHits() > 0, "the reserve was used: " + pool.mempoolStatistics());
    assertTrue(slab.slabStatistics().failures() > 0, "the slab cache refused: " + slab.slabStatistics());
    tree.close();
    assertEquals(0, slab.slabStatistics().activeObjects(), "every state returned");
    assertEquals(0, slab.leakedObjects());
    assertEquals(0, budget.used(), "every slab released");
  }

  @Test
  void concurrentOperationsShareTheReserve() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("tiny-shared", 4096);
    SlabCache slab =
        SlabCache.builder("shared-states").objectSize(ExtentTreeBuilder.STATE_SIZE).slabSize(4096).budget(budget)
            .maxWait(Duration.ZERO).build();
    Mempool pool = Mempool.builder("shared-pool", slab).minNr(24).build();
    ExtentTree tree = ExtentTree.builder("shared").pool(pool).build();
    int threads = 4;
    int slice = 16;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    assertTimeoutPreemptively(
        Duration.ofSeconds(30),
        () -> {
          List<Thread> workers = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            int base = t * slice;
            long seed = t;
            Thread w =
                Thread.ofPlatform().name("mem-" + t).daemon().start(() -> {
                  try {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    int[] model = new int[slice];
                    for (int op = 0; op < 10_000; op++) {
                      int s = rnd.nextInt(slice);
                      int e = s + rnd.nextInt(Math.min(3, slice - s));
                      int bits = BITS[rnd.nextInt(BITS.length)];
                      if (rnd.nextBoolean()) {
                        tree.set(base + s, base + e, bits);
                        for (int i = s; i <= e; i++) {
                          model[i] |= bits;
                        }
                      } else {
                        tree.clear(base + s, base + e, bits);
                        for (int i = s; i <= e; i++) {
                          model[i] &= ~bits;
                        }
                      }
                    }
                    for (int i = 0; i < slice; i++) {
                      if (tree.bitsAt(base + i) != model[i]) {
                        throw new AssertionError("byte " + (base + i));
                      }
                    }
                  } catch (Throwable ex) {
                    failure.compareAndSet(null, ex);
                  }
                });
            workers.add(w);
          }
          for (Thread w : workers) {
            w.join();
          }
        });
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    tree.verify();
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.close();
    pool.close();
    assertEquals(0, slab.slabStatistics().activeObjects());
    slab.close();
    assertEquals(0, slab.leakedObjects());
  }

  /**
   * The reserve really empties: a writer with a budget of one slab takes every state the slab and the
   * reserve have and then waits (holding nothing); only then does a flusher clear, which refills the
   * reserve and lets the writer go on.
   */
  @Test
  void writersEmptyTheReserveAndAFlusherRefillsIt() throws Exception {
    ExtentTree tree = ExtentTree.builder("drain").budget(MemoryBudget.ofBytes("drain", 4096)).slabSize(4096)
        .reserve(8).headroom(0).maxWait(Duration.ZERO).build();
    Mempool pool = tree.mempool();
    SlabCache slab = tree.slabCache();
    assertTrue(pool != null && slab != null);
    int capacity = slab.slabStatistics().objectsPerSlab();
    int writes = 3 * capacity;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = Thread.ofPlatform().name("drain-writer").daemon().start(() -> {
      try {
        for (int i = 0; i < writes; i++) {
          tree.set(2L * i, 2L * i, DIRTY);
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    int emptied = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (writer.isAlive()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("stalled: " + tree.statistics() + " " + pool.mempoolStatistics() + "\n" + Watchdog.dump());
      }
      if (tree.statistics().memoryWaiters() == 1 && pool.mempoolStatistics().waiting() == 1) {
        assertEquals(0, pool.reserveLevel(), "the writer waits only once the reserve is empty");
        emptied++;
        tree.clear(0, Long.MAX_VALUE, DIRTY); // whole states: needs no memory, refills the reserve
      }
      Thread.onSpinWait();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertTrue(emptied >= 2, "the reserve was emptied " + emptied + " times");
    assertTrue(pool.mempoolStatistics().reserveHits() >= 2L * 8, "the reserve was used: " + pool.mempoolStatistics());
    tree.close();
    assertEquals(0, slab.slabStatistics().activeObjects(), "every state returned");
  }
}
