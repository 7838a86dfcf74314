package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.BOUNDARY;
import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CLEAR_META_RESV;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static io.github.slabkit.extent.ExtentBits.NORESERVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One test per btrfs rule: merges and their exceptions, splits, empty states, inclusive ends, holes. */
class ExtentTreeRulesTest {
  /** The builder of every tree of this test; B+tree subclasses override it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  private final ExtentTree tree = builder("rules").build();
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

  @Test
  void adjacentStatesWithEqualBitsMerge() {
    tree.set(0, 9, DIRTY);
    tree.set(10, 19, DIRTY);
    tree.set(30, 39, DIRTY);
    tree.set(20, 29, DIRTY);
    assertEquals(List.of(x(0, 39, DIRTY)), tree.states());
  }

  @Test
  void statesWithDifferentBitsDoNotMerge() {
    tree.set(0, 9, DIRTY);
    tree.set(10, 19, DELALLOC);
    assertEquals(List.of(x(0, 9, DIRTY), x(10, 19, DELALLOC)), tree.states());
  }

  @Test
  void lockedStatesNeverMerge() {
    tree.lock(0, 9);
    tree.lock(10, 19);
    assertEquals(List.of(x(0, 9, LOCKED), x(10, 19, LOCKED)), tree.states());
    tree.unlock(0, 9);
    tree.unlock(10, 19);
    assertTrue(tree.isEmpty());
  }

  @Test
  void dioLockedStatesNeverMerge() {
    tree.lock(0, 9, DIO_LOCKED, null);
    tree.lock(10, 19, DIO_LOCKED, null);
    assertEquals(2, tree.stateCount());
    tree.unlock(0, 19, DIO_LOCKED, null);
  }

  @Test
  void boundaryStatesNeverMerge() {
    tree.set(0, 9, DIRTY | BOUNDARY);
    tree.set(10, 19, DIRTY | BOUNDARY);
    assertEquals(List.of(x(0, 9, DIRTY | BOUNDARY), x(10, 19, DIRTY | BOUNDARY)), tree.states());
    tree.clear(0, 19, BOUNDARY);
    assertEquals(List.of(x(0, 19, DIRTY)), tree.states(), "merged once BOUNDARY is gone");
  }

  @Test
  void unlockMergesWhatTheLockKeptApart() {
    tree.set(0, 99, DIRTY);
    tree.lock(40, 59);
    assertEquals(List.of(x(0, 39, DIRTY), x(40, 59, DIRTY | LOCKED), x(60, 99, DIRTY)), tree.states());
    tree.unlock(40, 59);
    assertEquals(List.of(x(0, 99, DIRTY)), tree.states());
  }

  @Test
  void stateLeftWithoutBitsIsRemoved() {
    tree.set(0, 9, DIRTY | DEFRAG);
    tree.clear(0, 9, DIRTY);
    assertEquals(List.of(x(0, 9, DEFRAG)), tree.states());
    tree.clear(0, 9, DEFRAG);
    assertTrue(tree.isEmpty());
    assertEquals(0, tree.stateCount());
  }

  @Test
  void clearInTheMiddleSplitsInThree() {
    tree.set(0, 99, DIRTY);
    tree.clear(40, 59, DIRTY);
    assertEquals(List.of(x(0, 39, DIRTY), x(60, 99, DIRTY)), tree.states());
    tree.set(50, 50, DELALLOC);
    assertEquals(List.of(x(0, 39, DIRTY), x(50, 50, DELALLOC), x(60, 99, DIRTY)), tree.states());
  }

  @Test
  void setInTheMiddleSplitsAndSetsOnlyTheRange() {
    tree.set(0, 99, DIRTY);
    tree.set(10, 19, DELALLOC);
    assertEquals(List.of(x(0, 9, DIRTY), x(10, 19, DIRTY | DELALLOC), x(20, 99, DIRTY)), tree.states());
  }

  @Test
  void endsAreInclusive() {
    tree.set(10, 10, DIRTY);
    assertEquals(List.of(x(10, 10, DIRTY)), tree.states());
    assertEquals(0, tree.bitsAt(9));
    assertEquals(DIRTY, tree.bitsAt(10));
    assertEquals(0, tree.bitsAt(11));
    assertTrue(tree.rangeHasAll(10, 10, DIRTY));
    assertFalse(tree.rangeHasAll(10, 11, DIRTY));
    assertEquals(1, tree.countBytes(0, 100, Long.MAX_VALUE, DIRTY, false));
  }

  @Test
  void holesCountAsClear() {
    tree.set(0, 9, DIRTY);
    tree.set(20, 29, DIRTY);
    tree.set(30, 39, DEFRAG); // clear of DIRTY, next to the hole
    assertTrue(tree.findFirstClear(0, DIRTY, out));
    assertEquals(10, out.start());
    assertEquals(19, out.end());
    assertTrue(tree.findFirstClear(25, DIRTY, out));
    assertEquals(30, out.start(), "a state without the bits and the hole after it are one clear run");
    assertEquals(Long.MAX_VALUE, out.end());
    assertFalse(tree.rangeHasAll(0, 29, DIRTY), "a hole fails rangeHasAll");
    assertTrue(tree.rangeHasAny(5, 25, DIRTY));
    assertFalse(tree.rangeHasAny(10, 19, DIRTY));
  }

  @Test
  void findFirstClearOnAnEmptyTreeIsEverything() {
    assertTrue(tree.findFirstClear(123, DIRTY, out));
    assertEquals(0, out.start());
    assertEquals(Long.MAX_VALUE, out.end());
  }

  @Test
  void clearDelallocAlsoClearsNoreserve() {
    tree.set(0, 9, DELALLOC | NORESERVE | DIRTY);
    tree.clear(0, 9, DELALLOC);
    assertEquals(List.of(x(0, 9, DIRTY)), tree.states());
  }

  @Test
  void clearAllBitsRemovesEverything() {
    tree.set(0, 9, DIRTY | DEFRAG);
    tree.lock(20, 29);
    tree.clear(0, 100, CLEAR_ALL_BITS);
    assertTrue(tree.isEmpty());
  }

  @Test
  void controlBitsAreNeverStored() {
    tree.set(0, 9, DIRTY | CLEAR_META_RESV);
    assertEquals(List.of(x(0, 9, DIRTY)), tree.states());
  }

  @Test
  void convertSetsAndClearsInOnePassAndFillsHoles() {
    tree.set(0, 9, DELALLOC);
    tree.set(20, 29, DELALLOC | DEFRAG);
    tree.convert(5, 24, DIRTY, DELALLOC);
    assertEquals(
        List.of(
            x(0, 4, DELALLOC),
            x(5, 19, DIRTY),
            x(20, 24, DIRTY | DEFRAG),
            x(25, 29, DELALLOC | DEFRAG)),
        tree.states());
  }

  @Test
  void changesetRecordsExactlyTheChangedRanges() {
    ExtentChangeset cs = new ExtentChangeset();
    tree.set(10, 19, DIRTY);
    tree.set(30, 39, DIRTY | DELALLOC);
    tree.set(0, 49, DIRTY, cs, null);
    assertEquals(List.of(x(0, 9, 0), x(20, 29, 0), x(40, 49, 0)), cs.ranges());
    assertEquals(30, cs.bytesChanged());
    cs.reset();
    tree.clear(15, 34, DELALLOC, cs, null);
    assertEquals(List.of(x(30, 34, 0)), cs.ranges());
    assertEquals(5, cs.bytesChanged());
    cs.reset();
    tree.set(0, 49, DIRTY, cs, null);
    assertTrue(cs.isEmpty(), "nothing changed");
    assertEquals(0, cs.bytesChanged());
  }

  @Test
  void changesetAccumulatesAcrossCallsUntilReset() {
    ExtentChangeset cs = new ExtentChangeset(1);
    for (int i = 0; i < 100; i++) {
      tree.set(i * 10L, i * 10L + 4, DIRTY, cs, null);
    }
    assertEquals(100, cs.rangeCount());
    assertEquals(500, cs.bytesChanged());
    assertEquals(990, cs.rangeStart(99));
    assertEquals(994, cs.rangeEnd(99));
  }

  @Test
  void setAcrossManyHolesAllocatesAStatePerHoleAndStaysCorrect() {
    for (int i = 0; i < 50; i++) {
      tree.set(i * 10L, i * 10L + 4, DEFRAG);
    }
    long before = tree.statistics().poolAllocations() - tree.statistics().spareStates();
    tree.set(0, 499, DIRTY);
    long used = tree.statistics().poolAllocations() - tree.statistics().spareStates() - before;
    assertEquals(50, used, "a set over 50 holes takes one state per hole: " + tree.statistics());
    List<Extent> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      expected.add(x(i * 10L, i * 10L + 4, DIRTY | DEFRAG));
      expected.add(x(i * 10L + 5, i * 10L + 9, DIRTY));
    }
    assertEquals(expected, tree.states());
  }

  @Test
  void offsetsNearLongMaxValue() {
    long max = Long.MAX_VALUE;
    tree.set(max - 9, max, DIRTY);
    tree.set(0, max, DEFRAG);
    assertEquals(List.of(x(0, max - 10, DEFRAG), x(max - 9, max, DIRTY | DEFRAG)), tree.states());
    tree.clear(max, max, DIRTY);
    assertEquals(DEFRAG, tree.bitsAt(max));
    tree.lock(max - 1, max);
    assertFalse(tree.tryLock(0, max));
    tree.unlock(max - 1, max);
    assertFalse(tree.findFirstClear(0, DEFRAG, out));
    tree.clear(0, max, DEFRAG | DIRTY);
    assertTrue(tree.isEmpty());
  }

  @Test
  void queriesReturnStateBoundaries() {
    tree.set(10, 19, DIRTY);
    tree.set(20, 29, DELALLOC);
    tree.set(30, 39, DIRTY);
    assertTrue(tree.stateAt(25, out));
    assertEquals(x(20, 29, DELALLOC), out.toExtent());
    assertFalse(tree.stateAt(40, out));
    assertTrue(tree.findFirst(15, DIRTY, out));
    assertEquals(x(10, 19, DIRTY), out.toExtent(), "the state containing the offset");
    assertTrue(tree.findFirst(20, DIRTY, out));
    assertEquals(x(30, 39, DIRTY), out.toExtent());
    assertTrue(tree.findContiguous(0, DIRTY | DELALLOC, out));
    assertEquals(10, out.start());
    assertEquals(39, out.end());
    assertEquals(DIRTY | DELALLOC, tree.rangeBits(0, 100));
    assertEquals(20, tree.countBytes(0, 100, Long.MAX_VALUE, DIRTY, false));
    assertEquals(10, tree.countBytes(0, 100, Long.MAX_VALUE, DIRTY, true));
    assertEquals(10, tree.countBytes(0, 100, 5, DIRTY, false), "the state that reaches max is counted whole");
    List<Extent> seen = new ArrayList<>();
    int n = tree.forEach(15, 32, (s, e, b) -> seen.add(x(s, e, b)));
    assertEquals(3, n);
    assertEquals(List.of(x(10, 19, DIRTY), x(20, 29, DELALLOC), x(30, 39, DIRTY)), seen);
  }

  @Test
  void findDelallocRangeStopsAtBoundaryGapsAndMaxBytes() {
    tree.set(0, 9, DIRTY);
    tree.set(10, 19, DELALLOC);
    tree.set(20, 29, DELALLOC | DIRTY);
    tree.set(30, 39, DELALLOC | BOUNDARY);
    tree.set(50, 59, DELALLOC);
    assertTrue(tree.findDelallocRange(0, Long.MAX_VALUE, out));
    assertEquals(10, out.start());
    assertEquals(29, out.end(), "stops before the BOUNDARY state");
    assertTrue(tree.findDelallocRange(30, Long.MAX_VALUE, out));
    assertEquals(30, out.start());
    assertEquals(39, out.end(), "stops at the hole");
    assertTrue(tree.findDelallocRange(0, 5, out));
    assertEquals(19, out.end(), "the first state already reaches maxBytes");
    assertFalse(tree.findDelallocRange(60, 1, out));
  }

  @Test
  void cachedStateSpeedsSequentialWorkAndSurvivesChanges() {
    CachedState hint = new CachedState();
    for (long off = 0; off < 10_000; off += 100) {
      tree.set(off, off + 99, DIRTY, null, hint);
      assertTrue(hint.isSet());
    }
    assertEquals(List.of(x(0, 9_999, DIRTY)), tree.states());
    // Stale hint: the remembered state is freed by other work; the next use must not be fooled.
    tree.lock(100, 199, LOCKED, hint);
    tree.clear(0, Long.MAX_VALUE, DIRTY);
    tree.unlock(100, 199, LOCKED, hint);
    tree.set(5, 5, DEFRAG, null, hint);
    assertEquals(List.of(x(5, 5, DEFRAG)), tree.states());
    // A hint of another tree is ignored.
    try (ExtentTree other = builder("other").build()) {
      other.set(0, 1_000_000, DIRTY, null, hint);
      assertEquals(List.of(x(5, 5, DEFRAG)), tree.states());
      tree.set(6, 6, DEFRAG, null, hint);
      assertEquals(List.of(x(5, 6, DEFRAG)), tree.states());
      other.clear(0, 1_000_000, DIRTY);
    }
  }

  @Test
  void findFirstScanWithHint() {
    for (long i = 0; i < 100; i++) {
      tree.set(i * 4, i * 4 + 1, i % 2 == 0 ? DIRTY : DEFRAG);
    }
    CachedState hint = new CachedState();
    int found = 0;
    long from = 0;
    while (tree.findFirst(from, DIRTY, out, hint)) {
      found++;
      from = out.end() + 1;
    }
    assertEquals(50, found);
  }

  @Test
  void hooksSeeSetClearMergeSplit() {
    List<String> log = new ArrayList<>();
    ExtentHooks hooks =
        new ExtentHooks() {
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
        };
    try (ExtentTree t = builder("hooked").hooks(hooks).build()) {
      t.set(0, 9, DIRTY);
      t.set(10, 19, DIRTY);
      t.clear(5, 14, DIRTY | CLEAR_META_RESV);
      assertEquals(
          List.of(
              "set 0-9 0+DIRTY",
              "set 10-19 0+DIRTY",
              "merge 10-19 0-9",
              "split 0-19 at 5",
              "split 5-19 at 15",
              "clear 5-14 DIRTY-DIRTY|CLEAR_META_RESV"),
          log);
      t.clear(0, 100, DIRTY);
    }
  }

  @Test
  void closeFreesEveryStateBackToTheSlab() {
    ExtentTree t = builder("close").build();
    for (int i = 0; i < 1000; i++) {
      t.set(i * 3L, i * 3L + 1, i % 3 == 0 ? DIRTY : DEFRAG);
    }
    assertTrue(t.stateCount() > 500);
    var slab = t.slabCache();
    var pool = t.mempool();
    assertTrue(slab != null && pool != null);
    t.close();
    assertTrue(t.isClosed());
    assertEquals(0, slab.slabStatistics().activeObjects(), "every state and the reserve returned");
    assertEquals(0, slab.leakedObjects());
    t.close(); // idempotent
  }
}
