package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The extent-tree deadlocks of issue 10 (items 1, 2 and 4), each reproduced on a pool whose budget is full
 * and whose reserve is drained, each guarded by a watchdog so that a stall fails with a dump of who waits
 * on what instead of hanging the build.
 */
class ExtentTreeLivenessTest {
  private static final Duration LIMIT = Duration.ofSeconds(20);

  private SlabCache slab;
  private Mempool pool;
  private ExtentTree tree;

  /** A tree over one slab of {@code perSlab} states, the whole budget, and a mempool of {@code minNr}. */
  private void tiny(int perSlab, int minNr, int headroom) {
    SlabCache probe = SlabCache.builder("probe").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(perSlab).build();
    long slabBytes = probe.slabStatistics().slabBytes();
    probe.close();
    MemoryBudget budget = MemoryBudget.ofBytes("one-slab", slabBytes);
    slab = SlabCache.builder("live-states").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(perSlab)
        .budget(budget).maxWait(Duration.ZERO).build();
    pool = Mempool.builder("live-pool", slab).minNr(minNr).headroom(headroom).build();
    tree = ExtentTree.builder("live").pool(pool).build();
  }

  @AfterEach
  void closeAll() {
    if (tree != null) {
      tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
      tree.close();
      assertEquals(0, pool.mempoolStatistics().liveObjects(), "every state back in the pool: " + pool.mempoolStatistics());
      pool.close();
      assertEquals(0, slab.slabStatistics().activeObjects(), "every state back in the cache");
      slab.close();
    }
  }

  private String status() {
    return tree.statistics() + " " + pool.mempoolStatistics();
  }

  private static Thread start(String name, AtomicReference<Throwable> failure, Watchdog.Body body) {
    return Thread.ofPlatform().name(name).daemon().start(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    });
  }

  private static void check(AtomicReference<Throwable> failure) {
    if (failure.get() != null) {
      throw new AssertionError("a worker failed", failure.get());
    }
  }

  /** Fills the pool: one DIRTY state of {@code [i * stride, i * stride + len - 1]} per state available. */
  private int fill(int states, long stride, long len) {
    for (int i = 0; i < states; i++) {
      tree.set(i * stride, i * stride + len - 1, DIRTY);
    }
    assertEquals(0, pool.tryAllocate(), "the pool is exhausted");
    return states;
  }

  /**
   * Issue 10 item 1: an operation held one state while it blocked for another, and two such operations
   * deadlocked on a reserve that had exactly what one of them needed. Here every thread waits while each
   * needs two states, and the pool's live objects are exactly the tree's states: no waiter holds one.
   */
  @Test
  void noThreadHoldsAStateWhileItWaitsForOne() throws Exception {
    tiny(16, 2, 0);
    fill(16, 10, 6); // [0, 5], [10, 15], ...: the budget is full and the reserve is empty
    int threads = 4;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long s = t * 10L + 2;
      workers.add(start("splitter-" + t, failure, () -> tree.set(s, s + 1, DEFRAG))); // splits at both ends
    }
    Watchdog.await("every splitter waiting for memory", LIMIT, this::status,
        () -> tree.statistics().memoryWaiters() == threads);
    ExtentTreeStatistics st = tree.statistics();
    assertEquals(st.states() + st.spareStates(), pool.mempoolStatistics().liveObjects(),
        "while they wait, every allocated state is in the tree or its stash, none with a waiter: " + status());
    Watchdog.run("clears that free states", LIMIT, this::status, () -> {
      tree.clear(100, 159, DIRTY); // six whole states: needs no memory, frees six
      tree.clear(60, 99, DIRTY); // four more
    });
    for (Thread w : workers) {
      Watchdog.run("join " + w.getName(), LIMIT, this::status, w::join);
    }
    check(failure);
    for (int t = 0; t < threads; t++) {
      assertEquals(DIRTY | DEFRAG, tree.bitsAt(t * 10L + 2));
    }
    tree.verify();
  }

  /**
   * Issue 10 item 2: a clear that removes a state needed a state first, and blocked behind a set that
   * waited for memory. Here a writer blocks for memory and a clear of one whole state returns, and frees
   * the state the writer waits for.
   */
  @Test
  void clearOfAWholeStateNeverWaitsForMemory() throws Exception {
    tiny(8, 2, 0);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = start("writer", failure, () -> {
      for (long off = 0; !stop.get(); off += 2) {
        tree.set(off, off, DIRTY); // single bytes on separate offsets: one state each
      }
    });
    Watchdog.await("the writer waiting for memory", LIMIT, this::status,
        () -> tree.statistics().memoryWaiters() == 1 && pool.mempoolStatistics().waiting() == 1);
    stop.set(true);
    long waitsBefore = tree.statistics().memoryWaits();
    Watchdog.run("clear(0, 0, DIRTY)", LIMIT, this::status, () -> tree.clear(0, 0, DIRTY));
    Watchdog.run("the writer", LIMIT, this::status, writer::join);
    assertEquals(waitsBefore, tree.statistics().memoryWaits(), "the clear never waited for memory: " + status());
    check(failure);
    assertEquals(0, tree.bitsAt(0));
  }

  /** Issue 10 item 2 on one thread: fill the budget and the reserve, then clear everything. */
  @Test
  void clearAfterFillingBudgetAndReserveOnOneThread() throws Exception {
    tree = ExtentTree.builder("one-thread").budget(MemoryBudget.ofBytes("4k", 4096)).slabSize(4096).reserve(2)
        .maxWait(Duration.ZERO).build();
    pool = tree.mempool();
    slab = tree.slabCache();
    Watchdog.run("84 sets then clear everything", LIMIT, this::status, () -> {
      for (int i = 0; i < 84; i++) {
        tree.set(2L * i, 2L * i, DIRTY);
      }
      assertEquals(84, tree.stateCount());
      tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    });
    assertTrue(tree.isEmpty());
    Watchdog.run("84 locks then unlock(0, 0)", LIMIT, this::status, () -> {
      for (int i = 0; i < 84; i++) {
        tree.lock(2L * i, 2L * i);
      }
      tree.unlock(0, 0);
      for (int i = 1; i < 84; i++) {
        tree.unlock(2L * i, 2L * i);
      }
    });
    assertTrue(tree.isEmpty());
    tree.close();
    tree = null;
  }

  /**
   * Issue 10 item 4: a lock waited for memory while holding a locked prefix, so a flusher that had to lock
   * part of that range to free states waited for it forever. Here the lock needs a state per hole, finds
   * the pool empty, and waits holding no byte of its range; the flusher locks, clears and unlocks the
   * states it covers, which frees the memory the lock needs.
   */
  @Test
  void aLockWaitingForMemoryHoldsNoPartOfItsRange() throws Exception {
    tiny(16, 2, 0);
    fill(16, 20, 10); // [0, 9], [20, 29], ..., [300, 309]: locking [0, 309] needs 15 new states
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread locker = start("locker", failure, () -> {
      tree.lock(0, 309);
      tree.unlock(0, 309);
    });
    Watchdog.await("the lock waiting for memory", LIMIT, this::status, () -> tree.statistics().memoryWaiters() == 1);
    assertFalse(tree.rangeHasAny(0, 309, LOCKED), "while it waits for memory, no byte of its range is locked");
    assertTrue(tree.statistics().prefixUndos() > 0, "it undid the prefix it had locked: " + status());
    Watchdog.run("the flusher", LIMIT, this::status, () -> {
      RangeResult r = new RangeResult();
      while (tree.findFirst(0, DIRTY, r)) {
        long s = r.start();
        long e = r.end();
        tree.lockForReclaim(s, e, LOCKED, null);
        tree.clear(s, e, DIRTY);
        tree.unlock(s, e);
      }
    });
    Watchdog.run("the locker", LIMIT, this::status, locker::join);
    check(failure);
    assertTrue(tree.isEmpty(), tree.states().toString());
  }

  /**
   * Reserve headroom: once ordinary operations have drained the pool down to its headroom they wait, while
   * a clear that must split a state, and a flusher's lock, still get states.
   */
  @Test
  void reclaimingOperationsUseTheHeadroomOrdinaryOnesCannotTake() throws Exception {
    tiny(8, 4, 3);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    tree.set(1000, 1099, DIRTY);
    Thread writer = start("writer", failure, () -> {
      for (long off = 0; !stop.get(); off += 2) {
        tree.set(off, off, DIRTY);
      }
    });
    Watchdog.await("the writer stopped at the headroom", LIMIT, this::status, () -> tree.statistics().memoryWaiters() == 1);
    assertEquals(3, pool.reserveLevel(), "ordinary sets stop at the headroom: " + status());
    Watchdog.run("a clear that splits twice, and a flusher's lock of a hole", LIMIT, this::status, () -> {
      tree.clear(1010, 1019, DIRTY); // [1000, 1009] [1020, 1099]: one more state
      tree.lockForReclaim(2000, 2009, LOCKED, null); // a hole: one more state
    });
    assertEquals(0, tree.bitsAt(1015));
    assertEquals(1, pool.reserveLevel(), "they took the headroom: " + status());
    stop.set(true);
    tree.unlock(2000, 2009);
    tree.clear(1000, 1099, DIRTY);
    Watchdog.run("the writer", LIMIT, this::status, writer::join);
    check(failure);
  }
}
