package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Optimistic readers beside a writer that splits, merges and frees nodes all the time (a B+tree of 4 states
 * per leaf): states the writer never touches ("sentinels") must always read exactly as they are, whichever
 * nodes hold them meanwhile, and the fuller queries (count, hasAll, findFirst) must always agree with them.
 * A torn or half-split node would show a sentinel missing, moved, or with the writer's bits.
 */
class BTreeOptimisticReadTest {
  private static final int SENTINELS = 64;
  private static final long STRIDE = 1000;

  @Test
  void readersNeverSeeATornTree() throws Exception {
    try (ExtentTree tree = ExtentTree.builder("optimistic").bTree(4, 4).build()) {
      for (int k = 0; k < SENTINELS; k++) {
        tree.set(sentinel(k), sentinel(k), DEFRAG);
      }
      long seconds = Long.getLong("slabkit.torture.seconds", 2);
      long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong writes = new AtomicLong();
      AtomicLong reads = new AtomicLong();
      Thread writer = Thread.ofPlatform().name("writer").daemon().start(() -> {
        SplittableRandom rnd = new SplittableRandom(1);
        try {
          while (System.nanoTime() < deadline && failure.get() == null) {
            long base = rnd.nextInt(SENTINELS) * STRIDE;
            long s = base + rnd.nextInt(490);
            long e = s + rnd.nextInt(8);
            if (rnd.nextInt(3) == 0) {
              tree.clear(base, base + 499, DIRTY); // frees whole leaves
            } else if (rnd.nextBoolean()) {
              tree.set(s, e, DIRTY);
            } else {
              tree.clear(s, e, DIRTY);
            }
            writes.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      });
      Thread[] readers = new Thread[2];
      for (int r = 0; r < readers.length; r++) {
        long seed = r;
        readers[r] = Thread.ofPlatform().name("reader-" + r).daemon().start(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          RangeResult out = new RangeResult();
          try {
            while (System.nanoTime() < deadline && failure.get() == null) {
              int k = rnd.nextInt(SENTINELS);
              long x = sentinel(k);
              check(tree.bitsAt(x) == DEFRAG, "bitsAt " + x);
              check(tree.stateAt(x, out) && out.start() == x && out.end() == x && out.bits() == DEFRAG,
                  "stateAt " + x + ": " + out);
              check(tree.rangeHasAll(x, x, DEFRAG), "rangeHasAll " + x);
              check(tree.findFirst(x - STRIDE / 2, DEFRAG, out) && out.start() == x, "findFirst before " + x);
              check(tree.countBytes(0, Long.MAX_VALUE, -1, DEFRAG, false) == SENTINELS, "count");
              check(tree.rangeBits(x, x) == DEFRAG, "rangeBits " + x);
              reads.incrementAndGet();
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
        });
      }
      writer.join(Duration.ofSeconds(seconds + 30));
      for (Thread r : readers) {
        r.join(Duration.ofSeconds(30));
      }
      if (failure.get() != null) {
        throw new AssertionError("after " + writes.get() + " writes, " + reads.get() + " reads", failure.get());
      }
      assertTrue(writes.get() > 100 && reads.get() > 100, writes.get() + " writes, " + reads.get() + " reads");
      tree.verify();
      tree.clear(0, Long.MAX_VALUE, DIRTY);
      assertEquals(SENTINELS, tree.stateCount());
    }
  }

  /**
   * A query of a part of the tree that a running step does not touch returns without waiting for the step:
   * the writer is parked in a hook in the middle of a set (holding the tree lock and a leaf it changed),
   * and a query of another leaf must still answer, since it validates only the nodes it reads (it would
   * block on the tree lock if it fell back to it). A query of the held leaf answers once the step ends.
   */
  @Test
  void aQueryOfOtherNodesDoesNotWaitForTheWriter() throws Exception {
    CountDownLatch inHook = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger sets = new AtomicInteger();
    AtomicBoolean armed = new AtomicBoolean();
    ExtentHooks hooks = new ExtentHooks() {
      @Override
      public void onSet(long start, long end, int oldBits, int bits) {
        // The second call of the armed set: the first state's new bits are in its leaf already.
        if (armed.get() && sets.incrementAndGet() == 2) {
          inHook.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    try (ExtentTree tree = ExtentTree.builder("elsewhere").hooks(hooks).bTree().build()) {
      for (int i = 0; i < 200; i++) {
        tree.set(10L * i, 10L * i + 4, DEFRAG); // leaves of 49: [0, 484] is one leaf, 1500 is three further
      }
      armed.set(true);
      Thread writer = Thread.ofPlatform().name("parked-writer").start(() -> tree.set(1500, 1514, DIRTY));
      assertTrue(inHook.await(30, TimeUnit.SECONDS), "the writer reached its hook");
      RangeResult out = new RangeResult();
      AtomicInteger seen = new AtomicInteger(-1);
      Thread reader = Thread.ofPlatform().name("reader").start(() -> seen.set(tree.bitsAt(20)));
      reader.join(Duration.ofSeconds(30));
      boolean answered = !reader.isAlive();
      release.countDown();
      writer.join();
      reader.join();
      assertTrue(answered, "a query of another leaf waited for the writer's step");
      assertEquals(DEFRAG, seen.get());
      assertTrue(tree.stateAt(1505, out) && out.bits() == DIRTY, "the held leaf reads the step's end: " + out);
      armed.set(false);
      tree.verify();
    }
  }

  /** The shapes the jcstress tests ExtentOptimisticSplitTest, -MergeTest and -SpanTest rely on. */
  @Test
  void theJcstressShapesSplitAndMergeAsDescribed() {
    try (ExtentTree tree = ExtentTree.builder("shapes").bTree().build()) {
      for (int i = 0; i < 49; i++) {
        tree.set(10L * i, 10L * i + 4, DEFRAG);
      }
      assertEquals(1, nodes(tree), "49 states: one full leaf");
      tree.set(246, 247, DIRTY);
      assertEquals(3, nodes(tree), "the 50th splits it: two leaves and a root");
      tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      assertEquals(1, nodes(tree), "the emptied tree keeps its root leaf");
      for (int i = 0; i < 60; i++) {
        tree.set(10L * i, 10L * i + 4, DEFRAG);
      }
      assertEquals(3, nodes(tree), "60 states: a full leaf, a leaf of 11, a root");
      tree.clear(0, 399, DEFRAG);
      assertEquals(1, nodes(tree), "9 + 11 states merge into one leaf, the root goes");
      assertEquals(20, tree.stateCount());
      tree.verify();
      tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      for (int i = 0; i < 60; i++) {
        tree.set(10L * i, 10L * i + 9, i % 2 == 0 ? DEFRAG : ExtentBits.DELALLOC);
      }
      assertEquals(3, nodes(tree), "60 adjacent states of alternating bits: leaves of 49 and 11, a root");
      tree.set(470, 529, DIRTY);
      assertEquals(60, tree.stateCount(), "ExtentOptimisticSpanTest's set neither splits nor merges");
      assertEquals(3, nodes(tree));
      assertEquals(60, tree.countBytes(0, Long.MAX_VALUE, -1, DIRTY, false));
      tree.verify();
    }
  }

  private static long nodes(ExtentTree tree) {
    io.github.slabkit.mempool.Mempool pool = tree.mempool();
    assertTrue(pool != null);
    return pool.mempoolStatistics().liveObjects() - tree.statistics().spareStates();
  }

  private static long sentinel(int k) {
    return k * STRIDE + 500;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("torn read: " + what);
    }
  }
}
