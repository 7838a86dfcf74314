package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The unlock that skips its check when the lock epoch proves the range still locked ({@link TreeLocks}):
 * it gives the same states, hooks and wake-ups as the checked unlock, and it never skips a check that
 * would fail (a stale grant or holder after any lock bit was cleared is checked).
 */
class ExtentTreeUnlockFastPathTest {
  /** The builder of every tree of this test; the B+tree subclass overrides it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  private final List<String> hookLog = new ArrayList<>();
  private final ExtentTree tree = builder("fast-unlock").hooks(new LoggingHooks(hookLog)).build();

  @AfterEach
  void closeTree() {
    tree.verify();
    tree.close(); // also proves that no test left a lock or a waiter behind
  }

  private long unchecked() {
    return tree.locks().uncheckedUnlocks();
  }

  @Test
  void lockOverAHoleAndItsUnlockLeaveTheTreeAsItWas() {
    tree.set(0, 99, DIRTY);
    tree.set(300, 399, DELALLOC);
    List<Extent> before = tree.states();
    long u = unchecked();
    tree.lock(150, 249);
    assertEquals(List.of(new Extent(0, 99, DIRTY), new Extent(150, 249, LOCKED), new Extent(300, 399, DELALLOC)),
        tree.states());
    tree.unlock(150, 249);
    assertEquals(u + 1, unchecked(), "the unlock of the range just granted needs no check");
    assertEquals(before, tree.states());
  }

  @Test
  void lockExactlyOnAStateWithOtherBitsKeepsThemAndMergesBackOnUnlock() {
    tree.set(0, 299, DIRTY);
    hookLog.clear();
    tree.lock(100, 199);
    assertEquals(
        List.of(new Extent(0, 99, DIRTY), new Extent(100, 199, DIRTY | LOCKED), new Extent(200, 299, DIRTY)),
        tree.states());
    long u = unchecked();
    tree.unlock(100, 199);
    assertEquals(u + 1, unchecked());
    assertEquals(List.of(new Extent(0, 299, DIRTY)), tree.states());
    assertEquals(
        List.of(
            "split 0-299 at 100",
            "split 100-299 at 200",
            "set 100-199 DIRTY+LOCKED",
            "clear 100-199 DIRTY|LOCKED-LOCKED",
            "merge 100-199 0-99",
            "merge 0-199 200-299"),
        hookLog,
        "hooks keep btrfs's meaning on the unchecked unlock");
  }

  @Test
  void lockSpanningSeveralStatesAndHolesUnlocksWhole() {
    tree.set(0, 99, DIRTY);
    tree.set(200, 299, DELALLOC);
    List<Extent> before = tree.states();
    long u = unchecked();
    tree.lock(50, 249, LOCKED | DIO_LOCKED, null);
    assertEquals(5, tree.stateCount());
    assertTrue(tree.rangeHasAll(50, 249, LOCKED | DIO_LOCKED));
    tree.unlock(50, 249, LOCKED | DIO_LOCKED, null);
    assertEquals(u + 1, unchecked());
    assertEquals(before, tree.states());
  }

  @Test
  void unlockOfPartOfTheGrantSkipsTheCheckOnlyUntilALockBitIsCleared() {
    long u = unchecked();
    tree.lock(0, 99);
    tree.unlock(0, 49);
    assertEquals(u + 1, unchecked(), "part of the granted range is still proven locked");
    tree.unlock(50, 99);
    assertEquals(u + 1, unchecked(), "the first unlock moved the epoch: the second is checked");
    assertTrue(tree.isEmpty());
  }

  @Test
  void unlockBeyondTheGrantIsCheckedAndThrows() {
    tree.lock(0, 99);
    List<Extent> before = tree.states();
    long u = unchecked();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> tree.unlock(50, 149));
    assertTrue(e.getMessage().contains("not locked from offset 100"), e.getMessage());
    assertEquals(before, tree.states(), "the tree is unchanged");
    assertEquals(u, unchecked());
    IllegalStateException other = assertThrows(IllegalStateException.class, () -> tree.unlock(0, 99, DIO_LOCKED, null));
    assertTrue(other.getMessage().contains("not locked from offset 0"), other.getMessage());
    tree.unlock(0, 99);
  }

  @Test
  void aClearOfLockBitsMakesTheGrantStale() {
    tree.lock(0, 99);
    tree.clear(0, 99, LOCKED);
    assertThrows(IllegalStateException.class, () -> tree.unlock(0, 99));
    tree.lock(0, 99);
    tree.clear(0, 9, CLEAR_ALL_BITS);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> tree.unlock(0, 99));
    assertTrue(e.getMessage().contains("not locked from offset 0"), e.getMessage());
    tree.unlock(10, 99);
    assertTrue(tree.isEmpty());
  }

  @Test
  void aLockThatUndidItsPrefixMakesTheGrantStale() {
    tree.lock(50, 59);
    assertFalse(tree.tryLock(0, 99), "locks [0, 49], meets [50, 59], undoes [0, 49]");
    long u = unchecked();
    tree.unlock(50, 59);
    assertEquals(u, unchecked(), "the undo cleared lock bits: the unlock is checked");
  }

  @Test
  void holderUnlocksWithoutACheckWhileNoLockBitWasCleared() {
    LockedRange a = new LockedRange();
    LockedRange b = new LockedRange();
    long u = unchecked();
    tree.lock(0, 9, a);
    tree.lock(20, 29, b); // the tree's own grant is now b's
    a.close();
    assertEquals(u + 1, unchecked(), "a's own epoch proves its range");
    b.close();
    assertEquals(u + 1, unchecked(), "a's unlock moved the epoch: b is checked");
    assertTrue(tree.isEmpty());
  }

  @Test
  void staleHolderAfterItsRangeWasUnlockedThrows() {
    LockedRange h = tree.lock(0, 99, new LockedRange());
    tree.unlock(0, 99); // range locks have no owner
    tree.set(0, 99, DIRTY);
    List<Extent> before = tree.states();
    IllegalStateException e = assertThrows(IllegalStateException.class, h::close);
    assertTrue(e.getMessage().contains("not locked from offset 0"), e.getMessage());
    assertEquals(before, tree.states(), "the tree is unchanged");
    assertFalse(h.isLocked());
  }

  @Test
  void staleHolderAfterItsRangeWasUnlockedAndLockedAgainUnlocksChecked() {
    LockedRange h = tree.lock(0, 99, new LockedRange());
    tree.unlock(0, 99);
    tree.lock(0, 99);
    tree.lock(200, 209); // the tree's own grant is now another range
    long u = unchecked();
    h.close();
    assertEquals(u, unchecked(), "the holder's epoch is stale: its unlock is checked");
    tree.unlock(200, 209);
    assertTrue(tree.isEmpty());
  }

  @Test
  void uncheckedUnlockWakesTheWaiters() throws Exception {
    LockedRange h = tree.lock(0, 99, new LockedRange());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread waiter = Thread.ofPlatform().daemon().name("waiter").start(() -> {
      try {
        tree.lock(50, 59);
        tree.unlock(50, 59);
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (tree.waiterCount() == 0) {
      if (System.nanoTime() > deadline) {
        fail("the waiter never queued");
      }
      Thread.sleep(1);
    }
    long u = unchecked();
    h.close();
    waiter.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(waiter.isAlive(), "the waiter was not woken");
    if (failure.get() != null) {
      throw new AssertionError("the waiter failed", failure.get());
    }
    // The waiter met the lock at its first byte, so it cleared no lock bit: the holder's unlock, and the
    // waiter's own unlock of the range it was granted next, both skip the check.
    assertEquals(u + 2, unchecked());
    assertEquals(1, tree.lockWakeups());
    assertTrue(tree.isEmpty());
  }

  @Test
  void changesetsAndOtherBitsInsideTheLockDoNotMakeTheGrantStale() {
    tree.lock(0, 99);
    ExtentChangeset cs = new ExtentChangeset();
    tree.set(0, 99, DIRTY, cs, null);
    tree.clear(0, 49, DIRTY, cs, null);
    assertEquals(150, cs.bytesChanged());
    long u = unchecked();
    tree.unlock(0, 99, LOCKED | DIRTY, null);
    assertEquals(u + 1, unchecked(), "set and clear of other bits remove no lock bit");
    assertTrue(tree.isEmpty());
  }

  /** Records every hook call as text. */
  private record LoggingHooks(List<String> log) implements ExtentHooks {
    @Override
    public void onSet(long start, long end, int oldBits, int bits) {
      log.add("set " + start + "-" + end + " " + ExtentBits.toString(oldBits) + "+" + ExtentBits.toString(bits));
    }

    @Override
    public void onClear(long start, long end, int oldBits, int bits) {
      log.add("clear " + start + "-" + end + " " + ExtentBits.toString(oldBits) + "-" + ExtentBits.toString(bits));
    }

    @Override
    public void onMerge(long start, long end, long otherStart, long otherEnd, int bits) {
      log.add("merge " + start + "-" + end + " " + otherStart + "-" + otherEnd);
    }

    @Override
    public void onSplit(long start, long end, int bits, long splitAt) {
      log.add("split " + start + "-" + end + " at " + splitAt);
    }
  }
}
