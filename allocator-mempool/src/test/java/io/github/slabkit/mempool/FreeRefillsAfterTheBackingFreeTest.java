package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A free tests the reserve twice: once before the backing allocator's free, without a fence, and once after
 * it, behind the load-load fence of {@code mempool_free}. When the first test says "full" and the second
 * finds the reserve below {@code minNr}, the free takes an object back from the backing allocator into the
 * reserve. That is what repairs a first test that read a stale level (a handle that travelled through a data
 * race, which jcstress's {@code MempoolRacyPublicationFreeTest} exercises); here the same branch is driven
 * deterministically by a take from the reserve made inside the backing allocator's free, between the two
 * tests.
 */
class FreeRefillsAfterTheBackingFreeTest {

  /**
   * A backing allocator that runs an action inside each free, before and after the real one, and can refuse
   * the next stashes and frees (a misbehaving one).
   */
  private static final class HookedBacking extends ForwardingAllocator {
    Runnable beforeFree = () -> {};
    Runnable afterFree = () -> {};
    int refuseStashes;
    int refuseFrees;

    HookedBacking(ObjectAllocator inner) {
      super(inner);
    }

    @Override
    public void stash(long handle) {
      if (refuseStashes > 0) {
        refuseStashes--;
        throw new IllegalStateException("stash refused on purpose");
      }
      super.stash(handle);
    }

    @Override
    public void free(long handle) {
      if (refuseFrees > 0) {
        refuseFrees--;
        throw new IllegalStateException("free refused on purpose");
      }
      Runnable b = beforeFree;
      Runnable a = afterFree;
      beforeFree = () -> {};
      afterFree = () -> {};
      b.run();
      inner.free(handle);
      a.run();
    }
  }

  /** A pool with a reserve of one over a backing of four objects, the other three held by the test. */
  private record Drained(Mempool pool, HookedBacking backing, TestAllocator test, List<Long> held) {}

  private static Drained drained(String name) {
    TestAllocator test = new TestAllocator(name, 32, 4, name.hashCode());
    HookedBacking backing = new HookedBacking(test);
    Mempool pool = Mempool.builder(name, backing).minNr(1).build();
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(pool.allocate());
    }
    assertEquals(0, backing.tryAllocate(), "the backing allocator is exhausted");
    assertEquals(1, pool.reserveLevel());
    return new Drained(pool, backing, test, held);
  }

  @Test
  void aTakeFromTheReserveBetweenTheTwoTestsIsRefilledByTheFree() {
    Drained d = drained("refill-after-free");
    long[] taken = new long[1];
    // The first test of the free below reads a full reserve; then, inside the backing's free, the reserve's
    // only object is taken (the backing has nothing else), so the second test finds the reserve empty.
    d.backing().beforeFree = () -> taken[0] = d.pool().tryAllocate();
    long h = d.held().remove(0);
    d.pool().free(h);
    assertNotEquals(0, taken[0], "the take inside the backing's free was served by the reserve");
    assertEquals(1, d.pool().reserveLevel(), "the free took an object back from the backing into the reserve");
    assertEquals(0, d.backing().tryAllocate(), "the object taken back is the one freed: the backing is empty");
    assertEquals(4, d.test().live(), "3 held (2 + the one taken), 1 in the reserve: nothing lost");
    freeAllAndClose(d, taken[0]);
  }

  @Test
  void aContextsFreeRefillsTheReserveTheSameWay() {
    Drained d = drained("refill-after-local-free");
    long[] taken = new long[1];
    d.backing().beforeFree = () -> taken[0] = d.pool().tryAllocate();
    long h = d.held().remove(0);
    try (MempoolLocal local = d.pool().local()) {
      local.free(h);
    }
    assertNotEquals(0, taken[0]);
    assertEquals(1, d.pool().reserveLevel(), "the context's free took an object back into the reserve");
    freeAllAndClose(d, taken[0]);
  }

  @Test
  void anObjectTakenBackThatTheBackingRefusesToStashAndToFreeIsKeptAndReturnedAtClose() {
    Drained d = drained("refill-refused");
    long[] taken = new long[1];
    d.backing().beforeFree = () -> taken[0] = d.pool().tryAllocate();
    d.backing().afterFree = () -> {
      d.backing().refuseStashes = 1; // the object taken back cannot enter the reserve
      d.backing().refuseFrees = 1; // nor go back to the backing allocator
    };
    long h = d.held().remove(0);
    d.pool().free(h); // the free itself was done: it does not throw for the take-back
    assertEquals(0, d.pool().reserveLevel(), "the object taken back did not enter the reserve");
    assertEquals(4, d.test().live(), "2 held, 1 taken, and the object taken back, which the pool keeps: nothing lost");
    freeAllAndClose(d, taken[0]); // close returns the kept object
  }

  @Test
  void whenTheBackingHasNothingToGiveBackTheNextFreeRefillsTheReserve() {
    Drained d = drained("refill-next-free");
    long[] taken = new long[2];
    d.backing().beforeFree = () -> taken[0] = d.pool().tryAllocate(); // the reserve's object
    d.backing().afterFree = () -> taken[1] = d.test().tryAllocate(); // another user takes the freed object
    long h = d.held().remove(0);
    d.pool().free(h);
    assertEquals(h, taken[1]);
    assertEquals(0, d.pool().reserveLevel(), "the backing had nothing to give back: the reserve stays short");
    long next = d.held().remove(0);
    d.pool().free(next);
    assertEquals(1, d.pool().reserveLevel(), "the next free refilled the reserve");
    d.test().free(taken[1]);
    freeAllAndClose(d, taken[0]);
  }

  /** Frees {@code taken} and every held object to the pool, closes it, and checks that nothing was lost. */
  private static void freeAllAndClose(Drained d, long taken) {
    d.pool().free(taken);
    for (long x : d.held()) {
      d.pool().free(x);
    }
    d.pool().close();
    assertEquals(0, d.test().live(), "every object went back to the backing allocator: nothing lost");
  }
}
