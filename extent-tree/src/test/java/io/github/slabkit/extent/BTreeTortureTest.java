package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentTreeTortureTest.WORKERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ExtentTreeTortureTest}'s exhaustion torture on a B+tree of tiny nodes (4 states per leaf, 4
 * children): a budget of 32 nodes, a mempool reserve of 10 to 16 nodes (a split chain needs up to height + 1
 * at once, waited for all or nothing), the same eight workers and flusher, the same watchdog. At the end
 * every node is back in the pool, the slab cache and the budget. Also: the builder's checks of a B+tree's
 * pool.
 */
class BTreeTortureTest {

  @ParameterizedTest(name = "reserve {0}, headroom {1}")
  @CsvSource({"10, 2", "12, 3", "16, 4"})
  void noStallUnderExhaustion(int reserve, int headroom) throws Exception {
    long seconds = Long.getLong("slabkit.torture.seconds", ExtentTreeTortureTest.DEFAULT_SECONDS);
    SlabCache probe = SlabCache.builder("probe").objectSize(128).objectsPerSlab(16).build();
    long slabBytes = probe.slabStatistics().slabBytes();
    probe.close();
    MemoryBudget budget = MemoryBudget.ofBytes("torture", 2 * slabBytes); // 32 nodes
    SlabCache slab = SlabCache.builder("torture-nodes").objectSize(128).objectsPerSlab(16)
        .budget(budget).maxWait(Duration.ZERO).build();
    Mempool pool = Mempool.builder("torture-pool", slab).minNr(reserve).headroom(headroom).build();
    ExtentTree tree = ExtentTree.builder("torture").pool(pool).bTree(4, 4).build();

    AtomicLong done = new AtomicLong();
    AtomicReferenceArray<String> doing = new AtomicReferenceArray<>(WORKERS + 1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      int id = w;
      Runnable body = () -> ExtentTreeTortureTest.worker(id, tree, pool, deadline, done, doing, failure);
      threads.add(w < WORKERS / 2
          ? Thread.ofPlatform().name("bt-torture-" + w).daemon().start(body)
          : Thread.ofVirtual().name("bt-torture-v" + w).start(body));
    }
    List<Thread> workers = new ArrayList<>(threads);
    threads.add(Thread.ofPlatform().name("bt-torture-flusher").daemon()
        .start(() -> ExtentTreeTortureTest.flusher(WORKERS, tree, workers, done, doing, failure)));

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
    assertEquals(0, pool.mempoolStatistics().liveObjects(), "every node back in the pool");
    pool.close();
    assertEquals(0, slab.slabStatistics().activeObjects(), "every node back in the cache");
    slab.close();
    assertEquals(0, budget.used(), "every slab back in the budget");
  }

  @Test
  void aPoolOfStateSizedObjectsIsRefusedWithAClearMessage() {
    try (SlabCache states = SlabCache.builder("small").objectSize(ExtentTreeBuilder.STATE_SIZE).build();
        Mempool pool = Mempool.builder("small-pool", states).minNr(16).build()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ExtentTree.builder("t").pool(pool).bTree().build());
      assertTrue(e.getMessage().contains("small-pool") && e.getMessage().contains("48-byte"), e.getMessage());
      assertEquals(16, pool.reserveLevel(), "nothing taken");
    }
  }

  @Test
  void aReserveBelowOneSplitChainIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ExtentTree.builder("t").bTree().reserve(8).headroom(2).build());
    assertTrue(e.getMessage().contains("at least 8 nodes"), e.getMessage());
    try (SlabCache nodes = SlabCache.builder("nodes").objectSize(ExtentTreeBuilder.NODE_SIZE).build();
        Mempool pool = Mempool.builder("tiny-pool", nodes).minNr(4).build()) {
      IllegalArgumentException p =
          assertThrows(IllegalArgumentException.class, () -> ExtentTree.builder("t").pool(pool).bTree().build());
      assertTrue(p.getMessage().contains("tiny-pool"), p.getMessage());
    }
  }

  @Test
  void theDefaultBTreeKeepsNodesInItsOwnCache() {
    try (ExtentTree tree = ExtentTree.builder("own").bTree().build()) {
      SlabCache slab = tree.slabCache();
      assertTrue(slab != null && slab.objectSize() >= ExtentTreeBuilder.NODE_SIZE, String.valueOf(slab));
      for (long i = 0; i < 10_000; i++) {
        tree.set(i * 4, i * 4 + 1, ExtentBits.DIRTY);
      }
      tree.verify();
      assertEquals(10_000, tree.stateCount());
      assertTrue(slab.slabStatistics().activeObjects() < 10_000 / 20, "about 49 states per leaf: " + slab.slabStatistics());
    }
  }
}
