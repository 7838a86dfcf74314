package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hooks must not throw; one that does anyway must not break the tree. Before the fix, a hook that threw
 * after its step had taken a state lost that state (never linked, never freed: the allocator kept it live
 * after close), left two equal neighbours unmerged ({@code verify()} failed), and a lock whose hook threw
 * on its second state kept its first states LOCKED with no one to unlock them, so every later lock of the
 * range waited forever.
 */
class ExtentTreeThrowingHookTest {
  /** Hooks that throw at their n-th call (counting every kind), or with a probability. */
  static final class Thrower implements ExtentHooks {
    private final SplittableRandom rnd;
    int countdown = -1;
    double probability;
    final RuntimeException thrown = new IllegalStateException("hook failure (test)");
    long throwsDone;

    Thrower(long seed) {
      rnd = new SplittableRandom(seed);
    }

    private void maybeThrow() {
      if ((countdown >= 0 && countdown-- == 0) || (probability > 0 && rnd.nextDouble() < probability)) {
        throwsDone++;
        throw thrown;
      }
    }

    @Override
    public void onSet(long start, long end, int oldBits, int bits) {
      maybeThrow();
    }

    @Override
    public void onClear(long start, long end, int oldBits, int bits) {
      maybeThrow();
    }

    @Override
    public void onMerge(long start, long end, long otherStart, long otherEnd, int bits) {
      maybeThrow();
    }

    @Override
    public void onSplit(long start, long end, int bits, long splitAt) {
      maybeThrow();
    }
  }

  private static TestAllocator allocator(boolean bTree) {
    return new TestAllocator("hooked", bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE, 100_000, 42);
  }

  private static ExtentTree tree(TestAllocator a, ExtentHooks hooks, boolean bTree) {
    ExtentTreeBuilder b = ExtentTree.builder("hooked").allocator(a).hooks(hooks);
    return (bTree ? b.bTree(4, 4) : b).build();
  }

  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void aLockWhoseHookThrowsHoldsNoPartOfItsRange(boolean bTree) {
    TestAllocator a = allocator(bTree);
    Thrower hooks = new Thrower(1);
    ExtentTree t = tree(a, hooks, bTree);
    t.set(100, 104, DIRTY);
    t.set(110, 114, DIRTY);
    t.set(120, 124, DIRTY);
    List<Extent> before = t.states();
    hooks.countdown = 2; // the third hook call of the lock: its first states are locked by then
    RuntimeException e = assertThrows(RuntimeException.class, () -> t.lock(100, 130));
    assertSame(hooks.thrown, e);
    assertFalse(t.rangeHasAny(0, 200, LOCKED), () -> "a lock that threw keeps part of its range: " + t.states());
    assertEquals(before, t.states());
    t.verify();
    assertTrue(t.tryLock(100, 130), "the range is free again");
    t.unlock(100, 130);
    t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    t.close();
    assertEquals(0, a.live(), "objects lost");
  }

  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void aSplitOrInsertWhoseHookThrowsLosesNothingAndStillMerges(boolean bTree) {
    TestAllocator a = allocator(bTree);
    Thrower hooks = new Thrower(2);
    ExtentTree t = tree(a, hooks, bTree);
    for (int i = 0; i < 40; i++) {
      t.set(10L * i, 10L * i + 4, DIRTY);
    }
    hooks.countdown = 0; // onSplit at offset 2
    assertThrows(IllegalStateException.class, () -> t.set(2, 12, DEFRAG));
    t.verify();
    hooks.countdown = 1; // onSet of the hole [5, 9], after its state was taken
    assertThrows(IllegalStateException.class, () -> t.set(0, 9, DIRTY));
    t.verify();
    t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    assertEquals(0, t.stateCount());
    t.close();
    assertEquals(0, a.live(), "objects lost");
  }

  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void randomOperationsWithThrowingHooksKeepTheTreeValidAndLoseNothing(boolean bTree) {
    long seed = 20261202L + (bTree ? 1 : 0);
    TestAllocator a = allocator(bTree);
    Thrower hooks = new Thrower(seed);
    ExtentTree t = tree(a, hooks, bTree);
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] bits = {DIRTY, DEFRAG, DELALLOC, ExtentBits.BOUNDARY};
    hooks.probability = 0.05;
    for (int i = 0; i < 4000; i++) {
      long s = rnd.nextInt(400);
      long e = s + rnd.nextInt(40);
      int b = bits[rnd.nextInt(bits.length)];
      String what = "seed " + seed + " op " + i;
      try {
        switch (rnd.nextInt(5)) {
          case 0, 1 -> t.set(s, e, b);
          case 2 -> t.clear(s, e, b);
          case 3 -> t.convert(s, e, b, bits[rnd.nextInt(bits.length)] & ~b);
          default -> {
            if (t.tryLock(s, e)) {
              t.unlock(s, e);
            }
          }
        }
      } catch (IllegalStateException x) {
        assertSame(hooks.thrown, x, what);
      }
      assertFalse(t.rangeHasAny(0, 1000, LOCKED), what + ": a lock or unlock left bytes locked");
      String bad = verify(t);
      assertEquals("", bad, what);
    }
    assertTrue(hooks.throwsDone > 50, "hooks threw " + hooks.throwsDone + " times");
    hooks.probability = 0;
    t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    t.close();
    assertEquals(0, a.live(), "seed " + seed + ": objects lost");
  }

  private static String verify(ExtentTree t) {
    try {
      t.verify();
      return "";
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }
}
