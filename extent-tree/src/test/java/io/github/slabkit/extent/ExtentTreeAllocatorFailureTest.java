package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A state allocator that throws (a slab constructor failing while a slab grows behind a mempool, or a
 * user's allocator) in the middle of an operation: no range may stay locked by a lock that threw, no
 * state or node may be lost, and the tree stays usable and closes with every object back.
 */
class ExtentTreeAllocatorFailureTest {

  /** Delegates to a {@link TestAllocator} and throws from the {@code throwIn}-th allocation from now. */
  private static final class ThrowingAllocator extends ForwardingAllocator {
    final TestAllocator a;
    private int throwIn; // 0: off; guarded by this

    ThrowingAllocator(TestAllocator a) {
      super(a);
      this.a = a;
    }

    /** The {@code k}-th allocation from now throws (1 = the next one). */
    synchronized void throwAt(int k) {
      throwIn = k;
    }

    private java.util.@org.jspecify.annotations.Nullable Random random; // guarded by this

    /** Every allocation throws with probability 1/8 (seeded), until {@code stop}. */
    synchronized void throwRandomly(long seed) {
      random = new java.util.Random(seed);
    }

    synchronized void stop() {
      random = null;
      throwIn = 0;
    }

    private synchronized void maybeThrow() {
      java.util.Random r = random;
      if (r != null && r.nextInt(8) == 0) {
        throw new IllegalStateException("allocator failed on purpose (random)");
      }
      if (throwIn > 0 && --throwIn == 0) {
        throw new IllegalStateException("allocator failed on purpose");
      }
    }

    @Override
    public long tryAllocate() {
      maybeThrow();
      return a.tryAllocate();
    }

    @Override
    public long tryAllocate(long timeout, TimeUnit unit) {
      maybeThrow();
      return a.tryAllocate(timeout, unit);
    }

    @Override
    public long allocate() {
      maybeThrow();
      return a.allocate();
    }
  }

  private static ThrowingAllocator allocator(long objectSize) {
    return new ThrowingAllocator(new TestAllocator("throwing", objectSize, 10_000, 7));
  }

  private static void assertLockThatThrewHoldsNothing(ExtentTree tree, ThrowingAllocator a) {
    tree.set(0, 9, ExtentBits.DIRTY);
    tree.set(20, 29, ExtentBits.DIRTY);
    tree.set(40, 49, ExtentBits.DIRTY); // a B+tree leaf of 3 is full now: the hole needs a node
    // [0, 9] is a whole state: the lock's pass adds LOCKED to it without a new state, then needs one for
    // the hole [10, 19], and the allocator throws there.
    a.throwAt(1);
    assertThrows(IllegalStateException.class, () -> tree.lock(0, 29));
    assertFalse(tree.rangeHasAny(0, 29, ExtentBits.LOCKED), "a lock that threw must not keep its prefix locked: "
        + tree.states());
    tree.verify();
    assertTrue(tree.tryLock(0, 29), "the range must be lockable again");
    tree.unlock(0, 29);
    tree.clear(0, 49, ExtentBits.CLEAR_ALL_BITS);
    assertDoesNotThrow(tree::close);
    assertEquals(0, a.a.live(), "every state goes back at close");
  }

  @Test
  void aLockWhoseAllocatorThrowsUndoesItsPrefix() {
    ThrowingAllocator a = allocator(ExtentTreeBuilder.STATE_SIZE);
    assertLockThatThrewHoldsNothing(ExtentTree.builder("throwing-lock").allocator(a).build(), a);
  }

  @Test
  void aBTreeLockWhoseAllocatorThrowsUndoesItsPrefix() {
    ThrowingAllocator a = allocator(ExtentTreeBuilder.NODE_SIZE);
    assertLockThatThrewHoldsNothing(ExtentTree.builder("throwing-lock-b").allocator(a).bTree(3, 3).build(), a);
  }

  @Test
  void aBTreeSplitChainWhoseAllocatorThrowsLosesNoNode() {
    ThrowingAllocator a = allocator(ExtentTreeBuilder.NODE_SIZE);
    ExtentTree tree = ExtentTree.builder("throwing-chain").allocator(a).bTree(3, 3).build();
    // Disjoint states (holes between them, so nothing merges): with 3 states a leaf and 3 children an inner
    // node, insertions soon need a chain of two or more nodes (a leaf and its parent, or a new root). The
    // second node of each insertion's chain throws, when there is one.
    int thrown = 0;
    for (int i = 0; i < 60; i++) {
      a.throwAt(2);
      try {
        tree.set(i * 10L, i * 10L + 4, ExtentBits.DIRTY);
      } catch (IllegalStateException e) {
        thrown++;
        a.throwAt(0);
        tree.set(i * 10L, i * 10L + 4, ExtentBits.DIRTY); // the same insertion, now without a failure
      }
      a.throwAt(0);
      tree.verify();
    }
    assertTrue(thrown > 0, "the test must hit a chain of two nodes");
    assertEquals(60, tree.stateCount());
    tree.clear(0, Long.MAX_VALUE - 1, ExtentBits.CLEAR_ALL_BITS);
    assertDoesNotThrow(tree::close);
    assertEquals(0, a.a.live(), "a node taken for a chain that failed must go back to the allocator");
  }

  /**
   * Random operations of every kind while the allocator throws now and then: every operation either
   * completes or throws the allocator's exception; afterwards the tree is consistent, no lock that threw
   * left a locked byte, and clearing and closing gives every object back.
   */
  @Test
  void randomOperationsWithRandomAllocatorFailuresLoseNothing() {
    for (boolean bTree : new boolean[] {false, true}) {
      ThrowingAllocator a = allocator(bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE);
      ExtentTreeBuilder b = ExtentTree.builder("random-failures").allocator(a);
      ExtentTree tree = (bTree ? b.bTree(3, 3) : b).build();
      java.util.Random rnd = new java.util.Random(42);
      a.throwRandomly(7);
      int[] bits = {ExtentBits.DIRTY, ExtentBits.DELALLOC, ExtentBits.DEFRAG, ExtentBits.DIRTY | ExtentBits.DEFRAG};
      long failures = 0;
      for (int i = 0; i < 3000; i++) {
        long start = rnd.nextInt(400);
        long end = start + rnd.nextInt(40);
        int bit = bits[rnd.nextInt(bits.length)];
        try {
          switch (rnd.nextInt(5)) {
            case 0, 1 -> tree.set(start, end, bit);
            case 2 -> tree.clear(start, end, bit);
            case 3 -> tree.convert(start, end, bit, ExtentBits.DEFRAG & ~bit);
            default -> {
              if (tree.tryLock(start, end)) {
                tree.unlock(start, end);
              }
            }
          }
        } catch (IllegalStateException e) {
          if (!e.getMessage().contains("on purpose")) {
            throw e;
          }
          failures++;
        }
        assertFalse(tree.rangeHasAny(0, 1000, ExtentBits.LOCKED), "a lock that threw left bytes locked at " + i);
      }
      a.stop();
      assertTrue(failures > 0, "the allocator must have failed");
      tree.verify();
      tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      assertTrue(tree.isEmpty());
      assertDoesNotThrow(tree::close);
      assertEquals(0, a.a.live(), (bTree ? "B+tree" : "rb-tree") + ": every object goes back at close");
    }
  }

  /**
   * Threads lock overlapping ranges, set and clear bits in them and unlock, while the allocator throws now
   * and then: a lock that throws holds nothing (so no other thread waits forever on its prefix), the unlock
   * of a range exactly as locked never needs memory, nobody hangs, and everything goes back at close.
   */
  @Test
  void threadsLockingWhileTheAllocatorThrowsNeitherHangNorLeak() throws Exception {
    for (boolean bTree : new boolean[] {false, true}) {
      ThrowingAllocator a = allocator(bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE);
      ExtentTreeBuilder b = ExtentTree.builder("locking-failures").allocator(a);
      ExtentTree tree = (bTree ? b.bTree(3, 3) : b).build();
      a.throwRandomly(3);
      java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicLong injected = new java.util.concurrent.atomic.AtomicLong();
      Thread[] threads = new Thread[3];
      for (int t = 0; t < threads.length; t++) {
        long seed = t;
        threads[t] = Thread.ofPlatform().start(() -> {
          java.util.Random rnd = new java.util.Random(seed);
          try {
            for (int i = 0; i < 400; i++) {
              long start = rnd.nextInt(200);
              long end = start + rnd.nextInt(30);
              try {
                tree.lock(start, end);
              } catch (IllegalStateException e) {
                if (!e.getMessage().contains("on purpose")) {
                  throw e;
                }
                injected.incrementAndGet();
                continue;
              }
              try {
                tree.set(start + rnd.nextInt((int) (end - start + 1)), end, ExtentBits.DIRTY);
                tree.clear(start, start + rnd.nextInt((int) (end - start + 1)), ExtentBits.DIRTY);
              } catch (IllegalStateException e) {
                if (!e.getMessage().contains("on purpose")) {
                  throw e;
                }
                injected.incrementAndGet();
              } finally {
                tree.unlock(start, end);
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        });
      }
      for (Thread t : threads) {
        t.join(10_000);
        assertFalse(t.isAlive(), "a thread hangs: " + tree.states());
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      a.stop();
      assertTrue(injected.get() > 0);
      tree.verify();
      assertFalse(tree.rangeHasAny(0, 1000, ExtentBits.LOCKED), "a byte stayed locked: " + tree.states());
      tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      assertDoesNotThrow(tree::close);
      assertEquals(0, a.a.live(), (bTree ? "B+tree" : "rb-tree") + ": every object goes back at close");
    }
  }
}
