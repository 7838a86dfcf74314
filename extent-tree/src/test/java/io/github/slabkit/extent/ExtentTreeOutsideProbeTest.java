package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenarios of an outside-style adversary round (through the public API only) that passed on their first
 * run and stay as regression tests: optimistic B+tree readers checked against a known pattern while a tree
 * sharing the node pool churns and closes, and while their own tree closes; changesets against a byte model,
 * also for a set that waits for memory; LockedRange misuse; odd lock-bit combinations and partial unlocks;
 * position hints shared across trees.
 */
class ExtentTreeOutsideProbeTest {
  // The checkable pattern: units of 10 bytes; every fifth unit is a DIRTY sentinel nobody touches; the
  // other units get DELALLOC, DEFRAG and LOCKED in any combination, always on whole units inside a group.
  private static final long UNIT = 10;
  private static final long GROUP = 5 * UNIT;
  private static final int GROUPS = 120;
  private static final int OTHER = DELALLOC | DEFRAG | LOCKED;

  private static Mempool nodePool(String name, int minNr) {
    SlabCache slab = SlabCache.builder(name + "-slab").objectSize(ExtentTreeBuilder.NODE_SIZE).alignment(64).build();
    return Mempool.builder(name, slab).minNr(minNr).headroom(2).build();
  }

  private static void fillSentinels(ExtentTree t) {
    for (int g = 0; g < GROUPS; g++) {
      t.set(g * GROUP, g * GROUP + UNIT - 1, DIRTY);
    }
  }

  /** Writer step on the pattern: whole units of one group, never a sentinel. */
  private static void patternStep(ExtentTree t, SplittableRandom rnd) {
    int g = rnd.nextInt(GROUPS);
    int a = 1 + rnd.nextInt(4);
    int b = a + rnd.nextInt(5 - a);
    long s = g * GROUP + a * UNIT;
    long e = g * GROUP + b * UNIT + UNIT - 1;
    switch (rnd.nextInt(7)) {
      case 0 -> t.set(s, e, DELALLOC);
      case 1 -> t.clear(s, e, DELALLOC);
      case 2 -> t.convert(s, e, DEFRAG, DELALLOC);
      case 3 -> t.convert(s, e, DELALLOC, DEFRAG);
      case 4 -> {
        if (t.tryLock(s, e, LOCKED | DEFRAG, null)) {
          t.unlock(s, s + UNIT - 1, LOCKED, null); // partial unlock: splits
          if (e > s + UNIT - 1) {
            t.unlock(s + UNIT, e, LOCKED | DELALLOC, null);
          }
        }
      }
      case 5 -> t.clear(0, GROUPS * GROUP, DEFRAG); // wide clear: frees leaves, merges
      default -> t.clear(s, e, DELALLOC | DEFRAG);
    }
  }

  private static void checkState(String what, long x, long s, long e, int bits) {
    boolean ok = s <= e && s % UNIT == 0 && e % UNIT == UNIT - 1;
    if (s % GROUP == 0) {
      ok &= e == s + UNIT - 1 && bits == DIRTY;
    } else {
      ok &= bits != 0 && (bits & ~OTHER) == 0 && s / GROUP == e / GROUP;
    }
    if (x >= 0) {
      ok &= s <= x && x <= e;
    }
    if (!ok) {
      throw new AssertionError("torn " + what + " at " + x + ": [" + s + ", " + e + "] " + ExtentBits.toString(bits));
    }
  }

  /** Every query, checked against what the pattern allows. */
  private static void patternRead(ExtentTree t, SplittableRandom rnd, RangeResult out) {
    int g = rnd.nextInt(GROUPS);
    long x = g * GROUP + rnd.nextLong(GROUP);
    boolean sentinel = x % GROUP < UNIT;
    if (t.stateAt(x, out)) {
      checkState("stateAt", x, out.start(), out.end(), out.bits());
    } else if (sentinel) {
      throw new AssertionError("sentinel missing at " + x);
    }
    int b = t.bitsAt(x);
    if (sentinel ? b != DIRTY : (b & ~OTHER) != 0) {
      throw new AssertionError("bitsAt " + x + " = " + ExtentBits.toString(b));
    }
    if (!t.findFirst(x, DIRTY, out)) {
      if (g != GROUPS - 1 || sentinel) {
        throw new AssertionError("findFirst DIRTY from " + x + " found nothing");
      }
    } else {
      long want = sentinel ? g * GROUP : (g + 1) * GROUP;
      if (out.start() != want || out.end() != want + UNIT - 1 || out.bits() != DIRTY) {
        throw new AssertionError("findFirst DIRTY from " + x + ": " + out);
      }
    }
    if (t.findFirst(x, DELALLOC | DEFRAG, out)) {
      checkState("findFirst", -1, out.start(), out.end(), out.bits());
      if (out.end() < x || (out.bits() & (DELALLOC | DEFRAG)) == 0) {
        throw new AssertionError("findFirst OTHER from " + x + ": " + out);
      }
    }
    if (t.findContiguous(x, DIRTY, out)) {
      long want = sentinel ? g * GROUP : (g + 1) * GROUP;
      if (out.start() != want || out.end() != want + UNIT - 1) {
        throw new AssertionError("findContiguous DIRTY from " + x + ": " + out);
      }
    }
    if (t.findFirstClear(x, DIRTY, out)) {
      long ws = sentinel ? g * GROUP + UNIT : g * GROUP + UNIT;
      long we = g == GROUPS - 1 ? Long.MAX_VALUE : (g + 1) * GROUP - 1;
      if (out.start() != ws || out.end() != we) {
        throw new AssertionError("findFirstClear DIRTY from " + x + ": " + out);
      }
    } else {
      throw new AssertionError("findFirstClear found nothing from " + x);
    }
    if (t.findDelallocRange(x, Long.MAX_VALUE, out)) {
      if (out.start() % UNIT != 0 || out.end() % UNIT != UNIT - 1 || out.start() % GROUP == 0
          || out.start() / GROUP != out.end() / GROUP || out.end() < x) {
        throw new AssertionError("findDelallocRange from " + x + ": " + out);
      }
    }
    if (!t.rangeHasAll(g * GROUP, g * GROUP + UNIT - 1, DIRTY)) {
      throw new AssertionError("rangeHasAll sentinel " + g);
    }
    if (t.rangeHasAny(g * GROUP + UNIT, g * GROUP + GROUP - 1, DIRTY)) {
      throw new AssertionError("rangeHasAny DIRTY between sentinels of group " + g);
    }
    int rb = t.rangeBits(g * GROUP + UNIT, g * GROUP + GROUP - 1);
    if ((rb & ~OTHER) != 0) {
      throw new AssertionError("rangeBits of group " + g + ": " + ExtentBits.toString(rb));
    }
    long c = t.countBytes(0, Long.MAX_VALUE, -1, DIRTY, false);
    if (c != GROUPS * UNIT) {
      throw new AssertionError("countBytes DIRTY = " + c);
    }
    long d = t.countBytes(0, Long.MAX_VALUE, -1, DELALLOC, false);
    if (d % UNIT != 0 || d < 0 || d > GROUPS * 4 * UNIT) {
      throw new AssertionError("countBytes DELALLOC = " + d);
    }
    RangeResult first = new RangeResult();
    long cc = t.countBytes(x, Long.MAX_VALUE, -1, DIRTY, true, first, null);
    if (g == GROUPS - 1 && !sentinel ? cc != 0 : cc != (sentinel ? g * GROUP + UNIT - x : UNIT)) {
      throw new AssertionError("contiguous countBytes DIRTY from " + x + " = " + cc);
    }
  }

  /**
   * Tree A (small nodes) gets a pattern writer and pattern readers; tree B shares A's node pool and churns,
   * and is closed and rebuilt again and again, so A's freed nodes come back as B's and the other way
   * round. Readers of A must only ever see the pattern.
   */
  @Test
  void bTreeReadersSeeOnlyThePatternWhileANeighbourTreeOfThePoolChurnsAndCloses() throws Exception {
    Mempool pool = nodePool("shared-nodes", 24);
    try {
      ExtentTree a = ExtentTree.builder("a").pool(pool).bTree(4, 4).build();
      fillSentinels(a);
      long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong reads = new AtomicLong();
      AtomicLong bRounds = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      threads.add(Thread.ofPlatform().name("a-writer").daemon().start(() -> {
        SplittableRandom rnd = new SplittableRandom(7);
        try {
          while (System.nanoTime() < deadline && failure.get() == null) {
            patternStep(a, rnd);
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
      threads.add(Thread.ofPlatform().name("b-churn").daemon().start(() -> {
        SplittableRandom rnd = new SplittableRandom(8);
        try {
          while (System.nanoTime() < deadline && failure.get() == null) {
            ExtentTree b = ExtentTree.builder("b").pool(pool).bTree(4, 4).build();
            for (int i = 0; i < 300; i++) {
              long s = rnd.nextInt(2000) * UNIT;
              b.set(s, s + rnd.nextInt(3) * UNIT + UNIT - 1, DIRTY);
            }
            for (int i = 0; i < 200; i++) {
              long s = rnd.nextInt(2000) * UNIT;
              b.clear(s, s + rnd.nextInt(30) * UNIT + UNIT - 1, DIRTY);
            }
            b.close();
            bRounds.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
      for (int r = 0; r < 2; r++) {
        long seed = 100 + r;
        threads.add(Thread.ofPlatform().name("a-reader-" + r).daemon().start(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          RangeResult out = new RangeResult();
          try {
            while (System.nanoTime() < deadline && failure.get() == null) {
              patternRead(a, rnd, out);
              reads.incrementAndGet();
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
        }));
      }
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(60));
        assertFalse(t.isAlive(), t.getName() + " stalled\n" + Watchdog.dump());
      }
      if (failure.get() != null) {
        throw new AssertionError("after " + reads.get() + " reads, " + bRounds.get() + " B rounds", failure.get());
      }
      assertTrue(reads.get() > 100 && bRounds.get() > 2, reads.get() + " reads, " + bRounds.get() + " rounds");
      a.verify();
      assertEquals(GROUPS * UNIT, a.countBytes(0, Long.MAX_VALUE, -1, DIRTY, false));
      assertEquals(0, a.rangeBits(0, Long.MAX_VALUE) & LOCKED, "no lock left behind");
      a.close();
      assertEquals(0, pool.mempoolStatistics().liveObjects(), "every node back: " + pool.mempoolStatistics());
      assertEquals(pool.minNr(), pool.reserveLevel());
    } finally {
      pool.close();
      pool.backing().close();
    }
  }

  /**
   * Readers of a tree that is closed under them (small nodes, own pool, a writer running): every answer is
   * one the pattern allows, or the documented AllocatorClosedException; nothing else.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void readersOfATreeClosedUnderThemSeeThePatternOrClosed(boolean bTree) throws Exception {
    AtomicLong closedSeen = new AtomicLong();
    for (int round = 0; round < 40; round++) {
      ExtentTreeBuilder bld = ExtentTree.builder("closing");
      ExtentTree t = (bTree ? bld.bTree(4, 4) : bld).build();
      fillSentinels(t);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        long seed = round * 10L + r;
        boolean writer = r == 0;
        threads.add(Thread.ofPlatform().daemon().start(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          RangeResult out = new RangeResult();
          try {
            while (!stop.get()) {
              if (writer) {
                SplittableRandom w = rnd;
                int g = w.nextInt(GROUPS);
                long s = g * GROUP + UNIT;
                if (w.nextBoolean()) {
                  t.set(s, s + UNIT * (1 + w.nextInt(4)) - 1, DELALLOC);
                } else {
                  t.clear(s, s + 4 * UNIT - 1, DELALLOC);
                }
              } else {
                patternRead(t, rnd, out);
              }
            }
          } catch (AllocatorClosedException expected) {
            closedSeen.incrementAndGet();
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      Thread.sleep(2);
      try {
        t.close();
      } catch (IllegalStateException refused) {
        // a racing writer held nothing locked here, so a refusal is not expected but not our subject
        stop.set(true);
        for (Thread th : threads) {
          th.join(Duration.ofSeconds(30));
        }
        t.close();
      }
      stop.set(true);
      for (Thread th : threads) {
        th.join(Duration.ofSeconds(30));
        assertFalse(th.isAlive(), "a thread did not end after close\n" + Watchdog.dump());
      }
      if (failure.get() != null) {
        throw new AssertionError("round " + round, failure.get());
      }
    }
    assertTrue(closedSeen.get() > 0);
  }

  // ---------------------------------------------------------------- changesets

  private static final class Model {
    final int[] bits;

    Model(int n) {
      bits = new int[n];
    }

    long set(long s, long e, int b, List<long[]> out) {
      long changed = 0;
      for (long i = s; i <= e; i++) {
        if ((bits[(int) i] & b) != b) {
          changed++;
          add(out, i);
        }
        bits[(int) i] |= b;
      }
      return changed;
    }

    long clear(long s, long e, int b, List<long[]> out) {
      long changed = 0;
      for (long i = s; i <= e; i++) {
        if ((bits[(int) i] & b) != 0) {
          changed++;
          add(out, i);
        }
        bits[(int) i] &= ~b;
      }
      return changed;
    }

    private static void add(List<long[]> out, long i) {
      if (!out.isEmpty() && out.get(out.size() - 1)[1] == i - 1) {
        out.get(out.size() - 1)[1] = i;
      } else {
        out.add(new long[] {i, i});
      }
    }
  }

  /**
   * A changeset recorded by a set that has to wait for memory (a hog holds every node the pool will hand
   * out, and gives them back slowly while the set fills many holes) still lists exactly the changed bytes.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aChangesetOfASetThatWaitsForMemoryListsExactlyWhatChanged(boolean bTree) throws Exception {
    long objSize = bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE;
    MemoryBudget budget = MemoryBudget.ofBytes("cs-budget", bTree ? 256 * 1024 : 64 * 1024);
    SlabCache slab = SlabCache.builder("cs-slab").objectSize(objSize).alignment(64).budget(budget)
        .slabSize(4096).maxWait(Duration.ofMillis(1)).build();
    Mempool pool = Mempool.builder("cs-pool", slab).minNr(12).headroom(2).build();
    try {
      ExtentTreeBuilder bld = ExtentTree.builder("cs").pool(pool);
      ExtentTree t = (bTree ? bld.bTree(4, 4) : bld).build();
      int n = 4000;
      Model m = new Model(n);
      List<long[]> ignore = new ArrayList<>();
      for (int i = 0; i < n; i += 40) {
        t.set(i, i + 9, DIRTY);
        m.set(i, i + 9, DIRTY, ignore);
      }
      // The hog: takes what the pool hands out without waiting.
      List<Long> held = new ArrayList<>();
      for (long h; (h = pool.tryAllocate()) != 0; ) {
        held.add(h);
      }
      assertTrue(!held.isEmpty());
      ExtentChangeset cs = new ExtentChangeset(1);
      List<long[]> want = new ArrayList<>();
      long wantBytes = m.set(5, n - 1, DIRTY | DELALLOC, want);
      AtomicReference<Throwable> fail = new AtomicReference<>();
      Thread setter = Thread.ofPlatform().name("setter").daemon().start(() -> {
        try {
          t.set(5, n - 1, DIRTY | DELALLOC, cs, null);
        } catch (Throwable e) {
          fail.set(e);
        }
      });
      Thread.sleep(20);
      while (setter.isAlive() && !held.isEmpty()) {
        pool.free(held.remove(held.size() - 1));
        Thread.sleep(1);
      }
      for (long h : held) {
        pool.free(h);
      }
      held.clear();
      setter.join(Duration.ofSeconds(30));
      assertFalse(setter.isAlive(), "set stalled\n" + Watchdog.dump());
      if (fail.get() != null) {
        throw new AssertionError(fail.get());
      }
      assertTrue(t.refills() > 0, "the set waited for memory at least once");
      assertEquals(want.size(), cs.rangeCount(), "ranges: " + cs);
      for (int i = 0; i < want.size(); i++) {
        assertEquals(want.get(i)[0], cs.rangeStart(i), "range " + i + " of " + cs);
        assertEquals(want.get(i)[1], cs.rangeEnd(i), "range " + i + " of " + cs);
      }
      assertEquals(wantBytes, cs.bytesChanged());
      // And a clear recording into the same changeset after a reset.
      cs.reset();
      List<long[]> want2 = new ArrayList<>();
      long wantBytes2 = m.clear(100, 3000, DELALLOC, want2);
      t.clear(100, 3000, DELALLOC, cs, null);
      assertEquals(wantBytes2, cs.bytesChanged());
      assertEquals(want2.size(), cs.rangeCount(), cs.toString());
      t.verify();
      t.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      t.close();
      assertEquals(0, pool.mempoolStatistics().liveObjects(), pool.mempoolStatistics().toString());
      assertEquals(pool.minNr(), pool.reserveLevel());
    } finally {
      pool.close();
      slab.close();
    }
  }

  /** Random set/clear with changesets against a byte model, both structures, small nodes. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void changesetsMatchAByteModel(boolean bTree) {
    ExtentTreeBuilder bld = ExtentTree.builder("csm");
    try (ExtentTree t = (bTree ? bld.bTree(4, 4) : bld).build()) {
      int n = 600;
      Model m = new Model(n);
      SplittableRandom rnd = new SplittableRandom(3);
      ExtentChangeset cs = new ExtentChangeset(2);
      int[] choices = {DIRTY, DELALLOC, DEFRAG, DIRTY | DEFRAG, ExtentBits.BOUNDARY, ExtentBits.NEW};
      for (int step = 0; step < 3000; step++) {
        long s = rnd.nextInt(n);
        long e = Math.min(n - 1, s + rnd.nextInt(60));
        int b = choices[rnd.nextInt(choices.length)];
        List<long[]> want = new ArrayList<>();
        long wb;
        cs.reset();
        if (rnd.nextBoolean()) {
          wb = m.set(s, e, b, want);
          t.set(s, e, b, cs, null);
        } else {
          int cb = b == DELALLOC ? DELALLOC | ExtentBits.NORESERVE : b;
          wb = m.clear(s, e, cb, want);
          t.clear(s, e, b, cs, null);
        }
        String ctx = "step " + step + " [" + s + ", " + e + "] " + ExtentBits.toString(b) + ": " + cs;
        assertEquals(wb, cs.bytesChanged(), ctx);
        assertEquals(want.size(), cs.rangeCount(), ctx);
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.get(i)[0], cs.rangeStart(i), ctx);
          assertEquals(want.get(i)[1], cs.rangeEnd(i), ctx);
        }
      }
      t.verify();
      for (int i = 0; i < n; i++) {
        assertEquals(m.bits[i], t.bitsAt(i), "byte " + i);
      }
    }
  }

  // ---------------------------------------------------------------- LockedRange and lock bits

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void lockedRangeMisuse(boolean bTree) throws Exception {
    ExtentTreeBuilder bld = ExtentTree.builder("holder");
    ExtentTree t = (bTree ? bld.bTree(4, 4) : bld).build();
    ExtentTree other = ExtentTree.builder("other").build();
    LockedRange h = new LockedRange();
    t.lock(0, 99, h);
    assertThrows(IllegalStateException.class, () -> t.lock(200, 299, h), "a holder that holds");
    assertThrows(IllegalStateException.class, () -> other.lock(0, 99, h), "a holder that holds, other tree");
    assertThrows(IllegalStateException.class, () -> other.tryLock(0, 99, h));
    assertEquals(0, t.rangeBits(200, 299), "the refused lock changed nothing");
    assertEquals(0, other.rangeBits(0, 99));
    assertEquals(0L, other.stateCount());
    h.close();
    h.close(); // harmless
    assertEquals(0, t.rangeBits(0, 99));
    // Reused on the other tree, unlocked there from another thread.
    other.lock(10, 19, h);
    AtomicReference<Throwable> err = new AtomicReference<>();
    Thread th = Thread.ofPlatform().start(() -> {
      try {
        h.close();
      } catch (Throwable e) {
        err.set(e);
      }
    });
    th.join(Duration.ofSeconds(10));
    assertEquals(null, err.get());
    assertEquals(0, other.rangeBits(0, 99));
    // Unlocked by other means, then the holder closes: the documented ISE, tree unchanged.
    t.set(0, 99, DIRTY);
    t.lock(0, 99, h);
    t.unlock(0, 99);
    t.lock(0, 49); // someone else's lock now
    IllegalStateException ise = assertThrows(IllegalStateException.class, h::close);
    assertTrue(ise.getMessage().contains("not locked"), ise.getMessage());
    assertEquals(LOCKED | DIRTY, t.bitsAt(20), "the other lock survives the failed holder close");
    assertEquals(DIRTY, t.bitsAt(60));
    assertFalse(h.isLocked());
    t.unlock(0, 49);
    // Holder outlives its tree: closing the tree is refused while the holder holds.
    t.lock(500, 599, h);
    assertThrows(IllegalStateException.class, t::close);
    assertFalse(t.isClosed());
    t.unlock(500, 599);
    t.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
    t.close();
    assertThrows(AllocatorClosedException.class, h::close);
    assertFalse(h.isLocked());
    assertThrows(AllocatorClosedException.class, () -> t.lock(0, 9, new LockedRange()));
    other.close();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void oddLockBitsAndPartialUnlocks(boolean bTree) {
    ExtentTreeBuilder bld = ExtentTree.builder("odd");
    try (ExtentTree t = (bTree ? bld.bTree(4, 4) : bld).build()) {
      t.set(0, 999, DIRTY);
      t.lock(100, 199, LOCKED | DIO_LOCKED | DELALLOC, null);
      assertEquals(DIRTY | LOCKED | DIO_LOCKED | DELALLOC, t.bitsAt(150));
      assertFalse(t.tryLock(150, 160, DIO_LOCKED, null), "DIO_LOCKED is held");
      assertFalse(t.tryLock(199, 250, LOCKED, null), "overlaps at 199");
      assertEquals(DIRTY, t.bitsAt(200), "failed tryLock left bits unchanged");
      // Unlock only DIO_LOCKED of a middle part.
      t.unlock(120, 129, DIO_LOCKED, null);
      assertEquals(DIRTY | LOCKED | DELALLOC, t.bitsAt(125));
      assertEquals(DIRTY | LOCKED | DIO_LOCKED | DELALLOC, t.bitsAt(119));
      // Now an unlock of both lock bits over [100, 199] must fail: 120..129 lacks DIO_LOCKED.
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> t.unlock(100, 199, LOCKED | DIO_LOCKED, null));
      assertTrue(e.getMessage().contains("120"), e.getMessage());
      assertEquals(DIRTY | LOCKED | DIO_LOCKED | DELALLOC, t.bitsAt(100), "tree unchanged after refused unlock");
      // The grant record was [100,199] LOCKED|DIO_LOCKED: a DIO unlock over all of it must be refused too.
      assertThrows(IllegalStateException.class, () -> t.unlock(100, 199, DIO_LOCKED, null));
      assertEquals(DIRTY | LOCKED | DIO_LOCKED | DELALLOC, t.bitsAt(199));
      // Unlock LOCKED over all, with DELALLOC: DIO_LOCKED stays except in the hole.
      t.unlock(100, 199, LOCKED | DELALLOC, null);
      assertEquals(DIRTY | DIO_LOCKED, t.bitsAt(100));
      assertEquals(DIRTY, t.bitsAt(125));
      assertThrows(IllegalStateException.class, () -> t.unlock(100, 100, LOCKED, null));
      t.unlock(100, 119, DIO_LOCKED, null);
      t.unlock(130, 199, DIO_LOCKED, null);
      assertEquals(List.of(new Extent(0, 999, DIRTY)), t.states(), "all merged back");
      // Lock a range with holes on both ends, unlock it in pieces.
      t.lock(900, 1100, LOCKED, null);
      t.unlock(1000, 1100, LOCKED, null);
      t.unlock(900, 999, LOCKED, null);
      assertEquals(List.of(new Extent(0, 999, DIRTY)), t.states());
      // Grant-record fast path: lock [0,99], unlock a part via clear (not unlock), then unlock the rest.
      t.lock(2000, 2099);
      t.clear(2000, 2009, LOCKED);
      assertThrows(IllegalStateException.class, () -> t.unlock(2000, 2099));
      t.unlock(2010, 2099);
      assertEquals(0, t.rangeBits(2000, 2099));
      t.verify();
    }
  }

  // ---------------------------------------------------------------- position hints

  /**
   * A CachedState is moved between trees, kept across a close, and kept while its tree changes under it:
   * every answer and every change must equal what the same calls without a hint give.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void positionHintsAcrossTreesAndChangesNeverMisdirect(boolean bTree) {
    ExtentTreeBuilder b1 = ExtentTree.builder("h1");
    ExtentTreeBuilder b2 = ExtentTree.builder("h2");
    ExtentTreeBuilder b3 = ExtentTree.builder("h3");
    ExtentTree t1 = (bTree ? b1.bTree(4, 4) : b1).build();
    ExtentTree t2 = (bTree ? b2.bTree(4, 4) : b2).build();
    ExtentTree ref = (bTree ? b3.bTree(4, 4) : b3).build();
    try {
      CachedState hint = new CachedState();
      SplittableRandom rnd = new SplittableRandom(11);
      RangeResult out = new RangeResult();
      RangeResult refOut = new RangeResult();
      int[] choices = {DIRTY, DELALLOC, DEFRAG};
      for (int step = 0; step < 20000; step++) {
        ExtentTree t = rnd.nextBoolean() ? t1 : t2;
        long s = rnd.nextInt(3000);
        long e = s + rnd.nextInt(50);
        int b = choices[rnd.nextInt(3)];
        int op = rnd.nextInt(6);
        ExtentTree mirror = t == t1 ? ref : null;
        switch (op) {
          case 0 -> {
            t.set(s, e, b, null, hint);
            if (mirror != null) {
              mirror.set(s, e, b);
            }
          }
          case 1 -> {
            t.clear(s, e, b, null, hint);
            if (mirror != null) {
              mirror.clear(s, e, b);
            }
          }
          case 2 -> {
            int cb = b == DIRTY ? DEFRAG : DIRTY;
            t.convert(s, e, b, cb, hint);
            if (mirror != null) {
              mirror.convert(s, e, b, cb);
            }
          }
          case 3 -> {
            boolean f = t.findFirst(s, b, out, hint);
            if (mirror != null) {
              boolean g = mirror.findFirst(s, b, refOut);
              assertEquals(g, f, "findFirst step " + step);
              if (f) {
                assertEquals(refOut.toExtent(), out.toExtent(), "findFirst step " + step);
              }
            }
          }
          case 4 -> {
            boolean has = t.rangeHasAll(s, e, b, hint);
            if (mirror != null) {
              assertEquals(mirror.rangeHasAll(s, e, b), has, "rangeHasAll step " + step);
            }
          }
          default -> {
            boolean contiguous = rnd.nextBoolean();
            long c = t.countBytes(s, e + 500, -1, b, contiguous, null, hint);
            if (mirror != null) {
              assertEquals(mirror.countBytes(s, e + 500, -1, b, contiguous), c, "countBytes step " + step);
            }
          }
        }
        if (mirror != null && step % 97 == 0) {
          assertEquals(ref.states(), t1.states(), "step " + step);
        }
        if (step % 50 == 0) {
          t.lock(s, e, LOCKED, hint);
          t.unlock(s, e, LOCKED, hint);
        }
      }
      assertEquals(ref.states(), t1.states());
      t1.verify();
      t2.verify();
      // Hint kept across the close of its tree, then used on a new tree.
      t2.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS);
      t2.set(0, 99, DIRTY, null, hint);
      t2.close();
      ExtentTreeBuilder b4 = ExtentTree.builder("h4");
      try (ExtentTree t4 = (bTree ? b4.bTree(4, 4) : b4).build()) {
        t4.set(50, 60, DELALLOC, null, hint);
        t4.set(0, 99, DEFRAG, null, hint);
        assertEquals(List.of(new Extent(0, 49, DEFRAG), new Extent(50, 60, DEFRAG | DELALLOC),
            new Extent(61, 99, DEFRAG)), t4.states());
        t4.clear(0, 99, DEFRAG | DELALLOC, null, hint);
        assertTrue(t4.isEmpty());
      }
    } finally {
      t1.close();
      ref.close();
      if (!t2.isClosed()) {
        t2.close();
      }
    }
  }
}
