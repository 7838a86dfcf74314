package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The second outside adversary round on the extent tree, public API only: hooks that throw while a lock is
 * released or refused with another thread waiting, interrupts and timeouts of lock waits, and a builder
 * whose budget cannot hold the reserve.
 */
class ExtentTreeHookInterruptAndBuildFailureTest {

  /** Hooks that throw on the next {@code armed} calls of the chosen kind. */
  static final class Armed implements ExtentHooks {
    volatile int onClear;
    volatile int onSet;

    @Override
    public void onSet(long start, long end, int oldBits, int bits) {
      if (onSet > 0) {
        onSet--;
        throw new IllegalStateException("onSet failure (probe)");
      }
    }

    @Override
    public void onClear(long start, long end, int oldBits, int bits) {
      if (onClear > 0) {
        onClear--;
        throw new IllegalStateException("onClear failure (probe)");
      }
    }
  }

  private static ExtentTree tree(TestAllocator a, ExtentHooks hooks, boolean bTree) {
    ExtentTreeBuilder b = ExtentTree.builder("probe2").allocator(a).hooks(hooks);
    return (bTree ? b.bTree(4, 4) : b).build();
  }

  private static TestAllocator allocator(boolean bTree) {
    return new TestAllocator(
        "probe2-states", bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE, 10_000, 7);
  }

  /**
   * An unlock whose onClear hook throws still unlocks (the hook does not stop the change it announces), and
   * so must wake the thread waiting for the range: it gets the lock.
   */
  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void anUnlockWhoseHookThrowsStillWakesTheWaiter(boolean bTree) throws Exception {
    TestAllocator a = allocator(bTree);
    Armed hooks = new Armed();
    ExtentTree t = tree(a, hooks, bTree);
    t.set(0, 99, DIRTY);
    t.lock(0, 99);
    CompletableFuture<Void> waiter =
        CompletableFuture.runAsync(
            () -> {
              t.lock(0, 99);
              t.unlock(0, 99);
            },
            r -> Thread.ofPlatform().daemon().start(r));
    Watchdog.await("the waiter queues", Duration.ofSeconds(5), t::toString, () -> t.waiterCount() == 1);
    hooks.onClear = 1;
    assertThrows(IllegalStateException.class, () -> t.unlock(0, 99));
    waiter.get(5, TimeUnit.SECONDS);
    assertFalse(t.rangeHasAny(0, 99, LOCKED));
    assertTrue(t.rangeHasAll(0, 99, DIRTY));
    assertEquals(0, t.waiterCount());
    t.verify();
    t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    t.close();
    assertEquals(0, a.live(), "objects lost");
  }

  /**
   * A tryLock that meets a locked range, with an onSet hook throwing on the prefix it locks first: whatever
   * it reports, every byte's bits are as before, it holds no part of the range, and the holder's unlock
   * then lets a lock of the whole range through at once.
   */
  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void aRefusedTryLockWhoseHookThrowsChangesNoBit(boolean bTree) {
    TestAllocator a = allocator(bTree);
    Armed hooks = new Armed();
    ExtentTree t = tree(a, hooks, bTree);
    t.set(0, 49, DIRTY);
    t.lock(100, 149);
    List<Extent> before = t.states();
    hooks.onSet = 1;
    try {
      assertFalse(t.tryLock(0, 149));
    } catch (IllegalStateException expected) {
      assertEquals("onSet failure (probe)", expected.getMessage());
    }
    assertEquals(0, hooks.onSet, "the armed onSet hook did not run");
    assertFalse(t.rangeHasAny(0, 99, LOCKED), () -> "bytes left locked: " + t.states());
    assertEquals(before, t.states());
    t.verify();
    t.unlock(100, 149);
    assertTrue(t.tryLock(0, 149));
    t.unlock(0, 149);
    t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    t.close();
    assertEquals(0, a.live(), "objects lost");
  }

  /**
   * lockInterruptibly interrupted while it waits for a held range, and a timed tryLock that times out: both
   * hold no part of their range and leave no waiter behind, so the tree closes once the holder unlocks.
   */
  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void interruptedAndTimedOutLockWaitsHoldNothing(boolean bTree) throws Exception {
    TestAllocator a = allocator(bTree);
    ExtentTree t = tree(a, ExtentHooks.NONE, bTree);
    t.lock(50, 59);
    List<Extent> before = t.states();
    CompletableFuture<Throwable> f = new CompletableFuture<>();
    Thread th =
        Thread.ofPlatform().daemon().start(
            () -> {
              try {
                t.lockInterruptibly(0, 99, LOCKED, null);
                f.complete(new AssertionError("locked"));
              } catch (Throwable e) {
                f.complete(e);
              }
            });
    Watchdog.await("the waiter queues", Duration.ofSeconds(5), t::toString, () -> t.waiterCount() == 1);
    th.interrupt();
    Throwable r = f.get(5, TimeUnit.SECONDS);
    assertTrue(r instanceof InterruptedException, "got " + r);
    assertEquals(0, t.waiterCount());
    assertEquals(before, t.states());
    assertFalse(t.tryLock(0, 99, LOCKED, 20, TimeUnit.MILLISECONDS));
    assertEquals(before, t.states());
    assertEquals(0, t.waiterCount());
    t.unlock(50, 59);
    t.verify();
    t.close();
    assertEquals(0, a.live(), "objects lost");
  }

  /**
   * A builder whose budget cannot hold the mempool's reserve fails, and gives back every byte it charged:
   * the budget is shared with other caches, which must not lose room to a failed build.
   */
  @ParameterizedTest(name = "bTree={0}")
  @ValueSource(booleans = {false, true})
  void aBuildThatCannotFillItsReserveGivesTheBudgetBack(boolean bTree) {
    MemoryBudget budget = MemoryBudget.ofBytes("probe2-build", 4096);
    ExtentTreeBuilder b =
        ExtentTree.builder("probe2-build").budget(budget).reserve(bTree ? 4096 : 8192).slabSize(1024)
            .maxWait(Duration.ofMillis(20));
    if (bTree) {
      b.bTree();
    }
    assertThrows(AllocationFailedException.class, b::build);
    assertEquals(0, budget.used(), "a failed build kept budget");
    assertEquals(0, budget.shrinkerCount(), "a failed build left a shrinker registered");
  }
}
