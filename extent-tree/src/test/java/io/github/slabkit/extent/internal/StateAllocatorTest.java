package io.github.slabkit.extent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.mempool.AllocationPriority;
import io.github.slabkit.mempool.Mempool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * The allocation protocol on its own (issue 10's first three rules): {@code take} never waits; a thread
 * that waits holds nothing; frees bypass the stash while a thread of the tree waits for memory; a step that
 * may not allocate fails loudly instead of waiting.
 */
class StateAllocatorTest {
  private static final long SIZE = StateLayout.SIZE;

  @Test
  void takeNeverWaitsAndPrefersHeldThenSpareThenPool() {
    TestAllocator backing = new TestAllocator("take", SIZE, 8, 1);
    StateAllocator alloc = new StateAllocator(backing);
    Prealloc op = new Prealloc();
    op.begin(false);
    long a = alloc.take(op);
    assertNotEquals(0, a, "from the pool");
    alloc.free(a);
    assertEquals(1, alloc.stashed());
    backing.failAlways(true);
    assertEquals(a, alloc.take(op), "the spare state before the pool");
    assertEquals(0, alloc.take(op), "nothing at hand: 0, never a wait");
    backing.failAlways(false);
    alloc.free(a);
    alloc.freeStash();
    assertEquals(0, backing.live());
  }

  @Test
  void aStepThatMayNotAllocateFailsInsteadOfWaiting() {
    TestAllocator backing = new TestAllocator("no-alloc", SIZE, 8, 1);
    StateAllocator alloc = new StateAllocator(backing);
    Prealloc op = new Prealloc();
    op.begin(true);
    op.mayAllocate(false);
    assertThrows(IllegalStateException.class, () -> alloc.take(op));
    assertEquals(0, backing.live());
  }

  @Test
  void aWaiterHoldsNothingAndFreesBypassTheStashWhileItWaits() throws Exception {
    TestAllocator backing = new TestAllocator("wait", SIZE, 3, 1);
    Mempool pool = Mempool.builder("wait-pool", backing).minNr(2).build(); // two of three objects in reserve
    StateAllocator alloc = new StateAllocator(pool);
    ReentrantLock treeLock = new ReentrantLock();
    Prealloc op = new Prealloc();
    op.begin(false);
    treeLock.lock();
    long linked1 = alloc.take(op); // "linked into the tree": the tree's, not the thread's
    long linked2 = alloc.take(op);
    long linked3 = alloc.take(op);
    treeLock.unlock();
    assertEquals(0, pool.tryAllocate(), "everything is in the tree");
    AtomicLong got = new AtomicLong();
    Thread waiter = Thread.ofPlatform().daemon().start(() -> {
      Prealloc mine = new Prealloc();
      mine.begin(false);
      treeLock.lock();
      try {
        alloc.await(mine, treeLock); // holds nothing, waits for a free
        got.set(alloc.take(mine));
      } finally {
        treeLock.unlock();
      }
    });
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (pool.mempoolStatistics().waiting() != 1) {
      if (System.nanoTime() > end) {
        fail("the waiter never waited: " + pool.mempoolStatistics());
      }
      Thread.sleep(1);
    }
    treeLock.lock();
    try {
      assertEquals(1, alloc.memoryWaiters());
      assertTrue(!treeLock.hasQueuedThreads(), "the waiter released the tree lock");
      alloc.free(linked1); // must go to the pool (and the waiter), not to the stash
      assertEquals(0, alloc.stashed(), "no spare state kept while a thread waits for memory");
    } finally {
      treeLock.unlock();
    }
    waiter.join(TimeUnit.SECONDS.toMillis(20));
    assertEquals(linked1, got.get(), "the freed state reached the waiter");
    treeLock.lock();
    alloc.free(got.get());
    alloc.free(linked2);
    alloc.free(linked3);
    alloc.freeStash();
    treeLock.unlock();
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, backing.live());
  }

  /**
   * A reclaiming step short of several states waits for all of them at once, with its priority: it parks
   * until they can all be had, reaching into the headroom. It used to wait for one at a time: with exactly
   * one reclaiming object in the reserve that wait returned at once, the step missed the next one, gave
   * the first back and was served it again, for ever, never parking (the B+tree torture test pinned to one
   * CPU hung so, holding the tree lock and its carrier).
   */
  @Test
  void aReclaimingStepShortOfSeveralStatesParksUntilAllCanBeHadFromTheHeadroom() throws Exception {
    TestAllocator backing = new TestAllocator("reclaim-many", SIZE, 8, 1);
    Mempool pool = Mempool.builder("reclaim-many-pool", backing).minNr(8).headroom(2).build(); // backing empty
    long[] drained = new long[8];
    for (int i = 0; i < 7; i++) {
      drained[i] = pool.tryAllocate(AllocationPriority.RECLAIMING);
      assertNotEquals(0, drained[i]);
    }
    assertEquals(1, pool.reserveLevel(), "one object left, in the headroom");
    StateAllocator alloc = new StateAllocator(pool);
    ReentrantLock treeLock = new ReentrantLock();
    for (int n : new int[] {3, 7}) { // 7 is above what an ordinary demand may take (minNr - headroom = 6)
      long allocationsBefore = pool.mempoolStatistics().allocations();
      AtomicLong held = new AtomicLong(-1);
      Thread step = Thread.ofPlatform().name("reclaiming-step-" + n).daemon().start(() -> {
        Prealloc op = new Prealloc();
        op.begin(true);
        treeLock.lock();
        try {
          alloc.awaitMany(op, n, treeLock);
          held.set(op.held());
          alloc.giveBack(op);
        } finally {
          treeLock.unlock();
        }
      });
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (pool.mempoolStatistics().waiting() != 1) {
        if (System.nanoTime() > end || !step.isAlive()) {
          fail("the step did not wait for " + n + " states: " + pool.mempoolStatistics() + ", held " + held);
        }
        Thread.sleep(1);
      }
      Thread.sleep(100);
      assertEquals(allocationsBefore, pool.mempoolStatistics().allocations(),
          "a parked step takes nothing while it waits (it used to take and give back one object for ever)");
      assertEquals(1, pool.reserveLevel());
      for (int i = 0; i < n - 1; i++) { // the step needs n: n - 1 more, all of them into the headroom's range
        pool.free(drained[i]);
      }
      step.join(TimeUnit.SECONDS.toMillis(20));
      assertTrue(!step.isAlive(), "the reclaiming step got its " + n + " states: " + pool.mempoolStatistics());
      assertEquals(n, held.get());
      // the step gave its states to the tree's stash (4) and the rest to the pool: take them back out
      treeLock.lock();
      alloc.freeStash();
      treeLock.unlock();
      for (int i = 0; i < n - 1; i++) {
        drained[i] = pool.tryAllocate(AllocationPriority.RECLAIMING);
        assertNotEquals(0, drained[i]);
      }
      assertEquals(1, pool.reserveLevel());
    }
    for (int i = 0; i < 7; i++) {
      pool.free(drained[i]);
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, backing.live());
  }

  @Test
  void aStepShortOfSeveralStatesFromAPlainPoolWaitsForAllOfThemOrNone() {
    TestAllocator backing = new TestAllocator("plain-many", SIZE, 4, 1);
    StateAllocator alloc = new StateAllocator(backing);
    ReentrantLock treeLock = new ReentrantLock();
    long[] inTree = new long[3];
    for (int i = 0; i < 3; i++) {
      inTree[i] = backing.allocate();
    }
    Prealloc op = new Prealloc();
    op.begin(false);
    treeLock.lock();
    try {
      // one object left, three needed: the pool's all-or-nothing bulk allocation fails (a TestAllocator does
      // not wait), where a wait for one would have returned that one and let the step retry at once
      assertThrows(io.github.slabkit.allocator.AllocationFailedException.class, () -> alloc.awaitMany(op, 3, treeLock));
      assertTrue(treeLock.isHeldByCurrentThread(), "the tree lock is held again");
      assertEquals(0, op.held(), "nothing held");
      assertEquals(3, backing.live(), "nothing taken");
      assertEquals(0, alloc.memoryWaiters());
      backing.free(inTree[0]);
      alloc.awaitMany(op, 2, treeLock);
      assertEquals(2, op.held());
      alloc.giveBack(op);
      alloc.freeStash();
    } finally {
      treeLock.unlock();
    }
    backing.free(inTree[1]);
    backing.free(inTree[2]);
    assertEquals(0, backing.live());
  }

  @Test
  void aDemandAboveWhatTheReserveCanGrantAtOnceWaitsForTheMostItCan() {
    TestAllocator backing = new TestAllocator("clamped", SIZE, 4, 1);
    Mempool pool = Mempool.builder("clamped-pool", backing).minNr(4).headroom(1).build(); // backing empty
    StateAllocator alloc = new StateAllocator(pool);
    ReentrantLock treeLock = new ReentrantLock();
    treeLock.lock();
    try {
      for (boolean reclaiming : new boolean[] {false, true}) {
        Prealloc op = new Prealloc();
        op.begin(reclaiming);
        int most = reclaiming ? 4 : 3;
        for (int round = 0; round < 2; round++) { // the second round pauses first, then is served the same
          alloc.awaitMany(op, 6, treeLock);
          assertEquals(most, op.held(), (reclaiming ? "reclaiming" : "ordinary") + " round " + round);
          alloc.giveBack(op);
          alloc.freeStash();
        }
      }
    } finally {
      treeLock.unlock();
    }
    assertEquals(0, pool.mempoolStatistics().liveObjects());
    pool.close();
    assertEquals(0, backing.live());
  }
}
