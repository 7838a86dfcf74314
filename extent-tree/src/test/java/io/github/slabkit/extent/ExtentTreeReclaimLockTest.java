package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link ExtentTree#lockForReclaim} keeps the mempool's reclaiming priority when it must wait for more than
 * one state. Ordinary writers have drained the reserve to its headroom and the budget is full; a flusher's
 * lock over four holes takes the two headroom states, stops, undoes its prefix (the two states go to the
 * tree's stash) and waits for the two more it needs. Three states are then freed. An ordinary request may
 * take only what lies above the headroom (one), so a wait for two at ordinary priority never ends, while
 * the reclaiming lock can take what it needs. Before the fix the lock waited with the mempool's bulk
 * allocation, which has no priority, and stalled here (the watchdog failed the test).
 */
class ExtentTreeReclaimLockTest {
  @Test
  void aReclaimingLockThatWaitsForSeveralStatesKeepsItsPriority() throws Exception {
    OneSlab f = new OneSlab("reclaim-lock", 2); // one slab: the reserve, 8 states
    MemoryBudget budget = f.budget;
    SlabCache slab = f.slab;
    Mempool pool = f.pool;
    ExtentTree tree = f.tree;
    // On failure nothing is closed: a stalled flusher still waits in the pool (a daemon thread).
    {
      // Six ordinary sets drain the reserve to its headroom: three states inside the flusher's range (so
      // that it spans four holes) and three outside, to be freed later.
      for (long at : new long[] {10, 20, 30, 100, 102, 104}) {
        tree.set(at, at, DIRTY);
      }
      assertEquals(6, tree.stateCount());

      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread flusher = Thread.ofPlatform().name("reclaim-lock-flusher").daemon().start(() -> {
        try {
          tree.lockForReclaim(0, 49, LOCKED, null);
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      Watchdog.await("the flusher to wait for memory", Duration.ofSeconds(10), () -> tree.statistics().toString(),
          () -> tree.statistics().memoryWaiters() == 1 || !flusher.isAlive());
      assertTrue(flusher.isAlive(), "the lock needed memory it could not have: " + failure.get());

      tree.clear(100, 100, DIRTY); // three whole states: no memory needed, all three go back to the pool
      tree.clear(102, 102, DIRTY);
      tree.clear(104, 104, DIRTY);

      Watchdog.await("the reclaiming lock to get the states freed", Duration.ofSeconds(10),
          () -> tree.statistics() + ", " + pool.statistics(), () -> !flusher.isAlive());
      if (failure.get() != null) {
        throw new AssertionError("the lock failed", failure.get());
      }
      assertTrue(tree.rangeHasAll(0, 49, LOCKED));
      tree.unlock(0, 49);
      tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
      tree.close();
      pool.close();
      slab.close();
    }
    assertEquals(0, budget.used(), "budget bytes not returned");
  }

  /**
   * The same flusher's lock, needing four states with exactly one in the headroom while an ordinary writer of
   * the tree waits for memory (so that what the lock's undo frees goes to the pool, not to the tree's stash).
   * The lock used to wait for one state at a time with its priority: served at once, it missed the next
   * state, undid its prefix, freed that state to the pool and was served it again, for ever, never parking
   * and holding the tree lock nearly all the time (on one CPU no one else got it: the B+tree torture test
   * hung so). It must park until all four can be had, and then get them.
   */
  @Test
  void aReclaimingLockShortOfSeveralStatesParksInsteadOfSpinningOnTheOneAtHand() throws Exception {
    OneSlab f = new OneSlab("reclaim-spin", 2);
    MemoryBudget budget = f.budget;
    SlabCache slab = f.slab;
    Mempool pool = f.pool;
    ExtentTree tree = f.tree;
    for (long at : new long[] {10, 20, 30, 100, 102, 104}) {
      tree.set(at, at, DIRTY); // the reserve is down to its headroom of two
    }
    tree.lockForReclaim(200, 200, LOCKED, null); // a reclaiming lock takes one of them: one left
    assertEquals(1, pool.reserveLevel());

    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = Thread.ofPlatform().name("reclaim-spin-writer").daemon().start(() -> {
      try {
        tree.set(300, 300, DIRTY); // ordinary: may not take the headroom, waits
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    Watchdog.await("the writer to wait for memory", Duration.ofSeconds(10), () -> tree.statistics().toString(),
        () -> pool.mempoolStatistics().waiting() == 1 || !writer.isAlive());
    Thread flusher = Thread.ofPlatform().name("reclaim-spin-flusher").daemon().start(() -> {
      try {
        tree.lockForReclaim(0, 49, LOCKED, null); // four holes: four states
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    Watchdog.await("the flusher to wait for memory", Duration.ofSeconds(10), () -> tree.statistics().toString(),
        () -> pool.mempoolStatistics().waiting() == 2 || !flusher.isAlive());
    String waits = Watchdog.status(() -> Long.toString(tree.statistics().memoryWaits()));
    Thread.sleep(200);
    assertTrue(flusher.isAlive() && writer.isAlive(), "nothing could be had yet: " + failure.get());
    assertEquals(waits, Watchdog.status(() -> Long.toString(tree.statistics().memoryWaits())),
        "the flusher parked: it did not wait again and again");

    tree.unlock(200, 200); // frees one: two in the headroom, still short of four
    tree.clear(100, 100, DIRTY); // three more, whole states: no memory needed
    tree.clear(102, 102, DIRTY);
    tree.clear(104, 104, DIRTY);
    Watchdog.await("the flusher to get its four states", Duration.ofSeconds(10),
        () -> tree.statistics() + ", " + pool.mempoolStatistics(), () -> !flusher.isAlive());
    assertTrue(tree.rangeHasAll(0, 49, LOCKED));
    tree.unlock(0, 49); // frees what the writer may still need
    Watchdog.await("the writer to finish", Duration.ofSeconds(10),
        () -> tree.statistics() + ", " + pool.mempoolStatistics(), () -> !writer.isAlive());
    if (failure.get() != null) {
      throw new AssertionError("an operation failed", failure.get());
    }
    assertTrue(tree.rangeHasAll(300, 300, DIRTY));
    tree.verify();
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.close();
    pool.close();
    slab.close();
    assertEquals(0, budget.used(), "budget bytes not returned");
  }

  /**
   * What the timed {@code tryLock}'s javadoc says: its timeout bounds the wait for other locks, not a wait
   * for memory, which an interrupt does not end either; it ends when a state is freed, and the lock is taken.
   */
  @Test
  void aTimedTryLockOutOfMemoryWaitsPastItsTimeoutUntilAStateIsFreed() throws Exception {
    OneSlab f = new OneSlab("timed-lock", 0);
    MemoryBudget budget = f.budget;
    SlabCache slab = f.slab;
    Mempool pool = f.pool;
    ExtentTree tree = f.tree;
    for (long at = 0; at < 8; at++) {
      tree.set(at * 10, at * 10, DIRTY); // every state of the budget is in the tree
    }
    AtomicReference<Object> result = new AtomicReference<>();
    Thread locker = Thread.ofPlatform().name("timed-locker").daemon().start(() -> {
      try {
        result.set(tree.tryLock(1000, 1000, LOCKED, 10, java.util.concurrent.TimeUnit.MILLISECONDS));
      } catch (Throwable t) {
        result.set(t);
      }
    });
    Watchdog.await("the timed lock to wait for memory", Duration.ofSeconds(10), () -> tree.statistics().toString(),
        () -> tree.statistics().memoryWaiters() == 1 || !locker.isAlive());
    Thread.sleep(100); // ten times its timeout
    locker.interrupt();
    Thread.sleep(50);
    assertTrue(locker.isAlive(), "still waiting for memory, past its timeout and an interrupt: " + result.get());
    tree.clear(70, 70, DIRTY); // a whole state: no memory needed, and it goes to the waiter
    Watchdog.await("the timed lock to finish", Duration.ofSeconds(10), () -> tree.statistics().toString(),
        () -> !locker.isAlive());
    assertEquals(Boolean.TRUE, result.get(), "locked once the memory came");
    assertTrue(tree.rangeHasAll(1000, 1000, LOCKED));
    tree.unlock(1000, 1000);
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.close();
    pool.close();
    slab.close();
    assertEquals(0, budget.used(), "budget bytes not returned");
  }

  /**
   * A tree over a mempool of 8 states (minNr 8) over a slab cache whose budget holds one slab of 8: the
   * reserve holds every state there is, and the cache can never grow.
   */
  private static final class OneSlab {
    final MemoryBudget budget;
    final SlabCache slab;
    final Mempool pool;
    final ExtentTree tree;

    OneSlab(String name, int headroom) {
      SlabCache probe = SlabCache.builder("probe").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(8).build();
      long slabBytes = probe.slabStatistics().slabBytes();
      probe.close();
      budget = MemoryBudget.ofBytes(name, slabBytes);
      slab = SlabCache.builder(name + "-states").objectSize(ExtentTreeBuilder.STATE_SIZE)
          .objectsPerSlab(8).budget(budget).maxWait(Duration.ZERO).build();
      pool = Mempool.builder(name + "-pool", slab).minNr(8).headroom(headroom).build();
      tree = ExtentTree.builder(name).pool(pool).build();
    }
  }
}
