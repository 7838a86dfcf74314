package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.BOUNDARY;
import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CLEAR_META_RESV;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 items 19 to 24, where the port differed from btrfs's {@code extent-io-tree.c}, and the
 * try-with-resources range lock of issue 15.
 */
class ExtentTreeBtrfsParityTest {
  /** The builder of every tree of this test; B+tree subclasses override it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  private final ExtentTree tree = builder("parity").build();
  private final RangeResult out = new RangeResult();

  @AfterEach
  void closeTree() {
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.verify();
    tree.close();
  }

  private static Extent x(long s, long e, int bits) {
    return new Extent(s, e, bits);
  }

  /** Item 19: maxBytes is unsigned like btrfs's u64; -1 means no limit. */
  @Test
  void countBytesReadsMaxBytesAsUnsigned() {
    tree.set(0, 9, DIRTY);
    tree.set(20, 29, DIRTY);
    assertEquals(20, tree.countBytes(0, 100, -1, DIRTY, false));
    assertEquals(10, tree.countBytes(0, 100, 5, DIRTY, false), "a positive limit still stops after a state");
    tree.set(0, Long.MAX_VALUE, DEFRAG);
    assertEquals("9223372036854775808", Long.toUnsignedString(tree.countBytes(0, Long.MAX_VALUE, -1, DEFRAG, false)));
  }

  /** Item 20: a state that can never merge again is split at the range end, as btrfs splits it. */
  @Test
  void noMergeStatesSplitAtTheRangeEndLikeBtrfs() {
    tree.set(0, 9, BOUNDARY);
    tree.set(0, 4, BOUNDARY);
    assertEquals(List.of(x(0, 4, BOUNDARY), x(5, 9, BOUNDARY)), tree.states());
    tree.clear(0, 9, BOUNDARY);
    tree.set(0, 9, DELALLOC | BOUNDARY);
    tree.set(0, 4, DELALLOC);
    assertTrue(tree.findDelallocRange(0, Long.MAX_VALUE, out));
    assertEquals(x(0, 4, DELALLOC | BOUNDARY), out.toExtent(), "btrfs returns [0, 4]");
  }

  /** Item 20: convert splits a no-merge state even where nothing changes, as btrfs's always splits. */
  @Test
  void convertSplitsNoMergeStates() {
    tree.set(0, 9, BOUNDARY | DIRTY);
    tree.convert(3, 6, DIRTY, DEFRAG);
    assertEquals(List.of(x(0, 2, BOUNDARY | DIRTY), x(3, 6, BOUNDARY | DIRTY), x(7, 9, BOUNDARY | DIRTY)),
        tree.states());
  }

  /** Item 20: control bits count in "already has the bits", so a set carrying one reaches the hooks. */
  @Test
  void controlBitsReachTheHooksOfStatesThatHaveTheStoredBits() {
    List<String> calls = new ArrayList<>();
    ExtentHooks hooks = new ExtentHooks() {
      @Override
      public void onSet(long start, long end, int oldBits, int bits) {
        calls.add("set [" + start + ", " + end + "] " + ExtentBits.toString(bits));
      }
    };
    try (ExtentTree t = builder("ctl").hooks(hooks).build()) {
      t.set(0, 9, DIRTY);
      calls.clear();
      t.set(2, 5, DIRTY);
      assertEquals(List.of(), calls, "nothing to set, no call");
      t.set(2, 5, DIRTY | CLEAR_META_RESV);
      assertEquals(List.of("set [2, 5] DIRTY|CLEAR_META_RESV"), calls);
      assertEquals(List.of(x(0, 9, DIRTY)), t.states(), "the pieces merged back");
      t.clear(0, 9, DIRTY);
    }
  }

  /** Item 21: a failed tryLock leaves every byte's bits as they were (the split stays, as in btrfs). */
  @Test
  void failedTryLockLeavesEveryByteAsItWas() {
    tree.set(0, 9, BOUNDARY);
    tree.lock(10, 12);
    List<Integer> before = new ArrayList<>();
    for (int i = 0; i <= 12; i++) {
      before.add(tree.bitsAt(i));
    }
    assertFalse(tree.tryLock(5, 12));
    for (int i = 0; i <= 12; i++) {
      assertEquals(before.get(i), tree.bitsAt(i), "byte " + i);
    }
    assertEquals(List.of(x(0, 4, BOUNDARY), x(5, 9, BOUNDARY), x(10, 12, LOCKED)), tree.states());
    tree.unlock(10, 12);
  }

  /** Item 22: an unlock names the first byte that lacks one of the lock bits. */
  @Test
  void unlockNamesTheFirstByteMissingALockBit() {
    tree.lock(0, 9);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> tree.unlock(0, 9, LOCKED | DIO_LOCKED, null));
    assertTrue(e.getMessage().contains("not locked from offset 0"), e.getMessage());
    tree.lock(20, 29);
    e = assertThrows(IllegalStateException.class, () -> tree.unlock(0, 29));
    assertTrue(e.getMessage().contains("not locked from offset 10"), e.getMessage());
    tree.unlock(0, 9);
    tree.unlock(20, 29);
  }

  /** Item 23: a byte changed twice appears once; bytes count each change; unsigned past 2^63. */
  @Test
  void changesetKeepsEachByteOnce() {
    ExtentChangeset cs = new ExtentChangeset(1);
    tree.set(0, 9, DIRTY, cs, null);
    tree.clear(0, 9, DIRTY, cs, null);
    assertEquals(List.of(x(0, 9, 0)), cs.ranges());
    assertEquals(20, cs.bytesChanged());
    cs.reset();
    tree.set(20, 29, DIRTY, cs, null);
    tree.set(0, 9, DIRTY, cs, null);
    tree.clear(5, 24, DIRTY, cs, null);
    tree.set(12, 12, DEFRAG, cs, null);
    assertEquals(List.of(x(0, 9, 0), x(12, 12, 0), x(20, 29, 0)), cs.ranges());
    assertEquals(31, cs.bytesChanged());
    tree.set(11, 11, DEFRAG, cs, null);
    tree.set(10, 10, DEFRAG, cs, null);
    assertEquals(List.of(x(0, 12, 0), x(20, 29, 0)), cs.ranges(), "adjacent ranges join");
    cs.reset();
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.set(0, Long.MAX_VALUE, DIRTY, cs, null);
    assertEquals("9223372036854775808", Long.toUnsignedString(cs.bytesChanged()));
  }

  /** Item 24: wait_extent_bit, and find_delalloc_range's end when nothing is found. */
  @Test
  void waitForClearWaitsWithoutLocking() throws Exception {
    tree.lock(0, 9);
    AtomicBoolean returned = new AtomicBoolean();
    Thread waiter = Thread.ofPlatform().daemon().start(() -> {
      tree.waitForClear(5, 20, LOCKED);
      returned.set(true);
    });
    Watchdog.await("the waiter queued", Duration.ofSeconds(20), tree::toString, () -> tree.waiterCount() == 1);
    assertFalse(returned.get());
    assertTrue(tree.tryLock(10, 20), "the waiter holds nothing");
    tree.unlock(10, 20); // does not touch [5, 9]: the waiter keeps waiting
    tree.unlock(0, 9);
    Watchdog.run("the waiter", Duration.ofSeconds(20), tree::toString, waiter::join);
    assertTrue(returned.get());
    assertThrows(IllegalArgumentException.class, () -> tree.waitForClear(0, 9, LOCKED | DIRTY));
    tree.waitForClear(0, 9, LOCKED); // free: returns at once
  }

  @Test
  void findDelallocRangeReportsHowFarItSearched() {
    tree.set(0, 9, DIRTY);
    assertFalse(tree.findDelallocRange(0, 100, out));
    assertEquals(Long.MAX_VALUE, out.end(), "no DELALLOC byte follows: skip to the end");
  }

  /** Issue 15: try-with-resources range locks through a reusable holder. */
  @Test
  void lockedRangeUnlocksOnCloseAndIsReusable() {
    LockedRange held = new LockedRange();
    try (LockedRange r = tree.lock(0, 9, held)) {
      assertTrue(r.isLocked());
      assertEquals(LOCKED, tree.bitsAt(5));
      IllegalStateException busy = assertThrows(IllegalStateException.class, () -> tree.lock(20, 29, held));
      assertTrue(busy.getMessage().contains("still holds [0, 9]"), busy.getMessage());
      assertFalse(tree.tryLock(5, 15, new LockedRange()));
    }
    assertFalse(held.isLocked());
    assertEquals(0, tree.bitsAt(5));
    held.close(); // a second close does nothing
    assertTrue(tree.tryLock(0, 9, held));
    held.close();
    assertThrows(IllegalStateException.class, () -> {
      try (LockedRange r = tree.lock(0, 9, held)) {
        tree.unlock(0, 9); // unlocked behind the holder's back: its close reports it
      }
    });
    assertTrue(tree.isEmpty());
  }
}
