package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.BOUNDARY;
import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CLEAR_META_RESV;
import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NORESERVE;
import static io.github.slabkit.extent.ExtentBits.STATE_BITS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded randomized comparison of the tree with a byte-array model over a small universe: after every
 * operation the bytes, the canonical merged state list, the changeset, the hook accounting and every query
 * must agree, and the structural invariants must hold.
 */
class ExtentTreeModelTest {
  /** The allocator of the tree under test; B+tree subclasses give it node-sized objects. */
  TestAllocator allocator(String name, int capacity) {
    return TreeFixture.allocator(name, capacity);
  }

  /** The tree under test; B+tree subclasses override it. */
  ExtentTree tree(TestAllocator alloc, ExtentHooks hooks) {
    return TreeFixture.tree(alloc, hooks);
  }

  private static final int U = 96;
  private static final int OPS = 3000;
  private static final int[] BITS = {DIRTY, DELALLOC, DEFRAG, BOUNDARY, NORESERVE, ExtentBits.user(0)};

  private final int[] model = new int[U];

  /** Hook accounting as btrfs does it: DELALLOC bytes and the number of states that carry DELALLOC. */
  static final class Accounting implements ExtentHooks {
    long delallocBytes;
    long delallocStates;

    @Override
    public void onSet(long start, long end, int oldBits, int bits) {
      if ((oldBits & DELALLOC) == 0 && (bits & DELALLOC) != 0) {
        delallocBytes += end - start + 1;
        delallocStates++;
      }
    }

    @Override
    public void onClear(long start, long end, int oldBits, int bits) {
      if ((oldBits & DELALLOC) != 0 && (bits & DELALLOC) != 0) {
        delallocBytes -= end - start + 1;
        delallocStates--;
      }
    }

    @Override
    public void onMerge(long start, long end, long otherStart, long otherEnd, int bits) {
      if ((bits & DELALLOC) != 0) {
        delallocStates--;
      }
    }

    @Override
    public void onSplit(long start, long end, int bits, long splitAt) {
      if ((bits & DELALLOC) != 0) {
        delallocStates++;
      }
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 20261125})
  void randomOperationsMatchTheModel(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    TestAllocator alloc = allocator("model-" + seed, 4 * U);
    Accounting acct = new Accounting();
    ExtentTree tree = tree(alloc, acct);
    ExtentChangeset cs = new ExtentChangeset(1);
    CachedState hint = new CachedState();
    RangeResult out = new RangeResult();
    java.util.Arrays.fill(model, 0);
    for (int op = 0; op < OPS; op++) {
      int s = rnd.nextInt(U);
      int e = rnd.nextInt(4) == 0 ? Math.min(U - 1, s + rnd.nextInt(3)) : s + rnd.nextInt(U - s);
      int bits = randomBits(rnd);
      CachedState h = rnd.nextBoolean() ? hint : null;
      if (rnd.nextInt(20) == 0) {
        hint.reset();
      }
      String what = "seed " + seed + " op " + op + ": ";
      int kind = rnd.nextInt(10);
      switch (kind) {
        case 0, 1, 2 -> {
          what += "set [" + s + ", " + e + "] " + ExtentBits.toString(bits);
          cs.reset();
          int extra = rnd.nextInt(6) == 0 ? CLEAR_META_RESV : 0;
          tree.set(s, e, bits | extra, cs, h);
          List<long[]> expected = new ArrayList<>();
          for (int i = s; i <= e; i++) {
            if ((model[i] & bits) != bits) {
              addByte(expected, i);
            }
            model[i] |= bits;
          }
          assertChangeset(what, expected, cs);
        }
        case 3, 4 -> {
          int clear = rnd.nextInt(15) == 0 ? CLEAR_ALL_BITS : bits | (rnd.nextInt(4) == 0 ? LOCKED : 0);
          what += "clear [" + s + ", " + e + "] " + ExtentBits.toString(clear);
          cs.reset();
          tree.clear(s, e, clear, cs, h);
          int eff = clear;
          if ((eff & CLEAR_ALL_BITS) != 0) {
            eff |= STATE_BITS;
          }
          if ((eff & DELALLOC) != 0) {
            eff |= NORESERVE;
          }
          List<long[]> expected = new ArrayList<>();
          for (int i = s; i <= e; i++) {
            if ((model[i] & eff) != 0) {
              addByte(expected, i);
            }
            model[i] &= ~eff;
          }
          assertChangeset(what, expected, cs);
        }
        case 5 -> {
          int clearBits = randomBits(rnd) & ~bits;
          what += "convert [" + s + ", " + e + "] +" + ExtentBits.toString(bits) + " -" + ExtentBits.toString(clearBits);
          tree.convert(s, e, bits, clearBits, h);
          for (int i = s; i <= e; i++) {
            model[i] = (model[i] | bits) & ~clearBits;
          }
        }
        case 6 -> {
          int lockBit = rnd.nextInt(3) == 0 ? DIO_LOCKED : LOCKED;
          int with = rnd.nextInt(3) == 0 ? DIRTY : 0;
          what += "tryLock [" + s + ", " + e + "] " + ExtentBits.toString(lockBit | with);
          boolean free = true;
          for (int i = s; i <= e; i++) {
            free &= (model[i] & lockBit) == 0;
          }
          assertEquals(free, tree.tryLock(s, e, lockBit | with, h), what);
          if (free) {
            for (int i = s; i <= e; i++) {
              model[i] |= lockBit | with;
            }
          }
        }
        case 7 -> {
          int lockBit = rnd.nextInt(3) == 0 ? DIO_LOCKED : LOCKED;
          what += "unlock [" + s + ", " + e + "] " + ExtentBits.toString(lockBit);
          boolean locked = true;
          for (int i = s; i <= e; i++) {
            locked &= (model[i] & lockBit) != 0;
          }
          if (locked) {
            tree.unlock(s, e, lockBit, h);
            for (int i = s; i <= e; i++) {
              model[i] &= ~lockBit;
            }
          } else {
            List<Extent> before = tree.states();
            int lb = lockBit;
            assertThrows(IllegalStateException.class, () -> tree.unlock(s, e, lb, h), what);
            assertEquals(before, tree.states(), what + ": tree changed by a refused unlock");
          }
        }
        default -> {
          what += "queries at [" + s + ", " + e + "] " + ExtentBits.toString(bits);
          checkQueries(what, tree, s, e, bits, out, h);
        }
      }
      checkTree(what, tree, acct);
    }
    // Unlock what is left, then close: everything returns to the allocator.
    tree.clear(0, U - 1, LOCK_BITS);
    tree.close();
    assertEquals(0, alloc.live(), "states leaked");
    alloc.close();
  }

  private static int randomBits(SplittableRandom rnd) {
    int bits = 0;
    do {
      bits |= BITS[rnd.nextInt(BITS.length)];
    } while (rnd.nextInt(3) == 0);
    return bits;
  }

  private static void addByte(List<long[]> runs, long i) {
    if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] + 1 == i) {
      runs.get(runs.size() - 1)[1] = i;
    } else {
      runs.add(new long[] {i, i});
    }
  }

  private static void assertChangeset(String what, List<long[]> expected, ExtentChangeset cs) {
    long bytes = 0;
    StringBuilder exp = new StringBuilder();
    for (long[] r : expected) {
      bytes += r[1] - r[0] + 1;
      exp.append('[').append(r[0]).append(", ").append(r[1]).append(']');
    }
    StringBuilder got = new StringBuilder();
    for (int i = 0; i < cs.rangeCount(); i++) {
      got.append('[').append(cs.rangeStart(i)).append(", ").append(cs.rangeEnd(i)).append(']');
    }
    assertEquals(exp.toString(), got.toString(), what + ": changeset ranges");
    assertEquals(bytes, cs.bytesChanged(), what + ": changeset bytes");
  }

  private void checkTree(String what, ExtentTree tree, Accounting acct) {
    try {
      tree.verify();
    } catch (IllegalStateException ex) {
      throw new AssertionError(what + ": " + ex.getMessage() + " in " + tree.states(), ex);
    }
    List<Extent> states = tree.states();
    int[] bytes = new int[U];
    long delallocStates = 0;
    for (Extent x : states) {
      assertTrue(x.start() >= 0 && x.end() < U, what + ": state outside universe " + x);
      for (long i = x.start(); i <= x.end(); i++) {
        bytes[(int) i] = x.bits();
      }
      assertEquals(0, x.bits() & CTL_BITS, what + ": control bit stored " + x);
      if ((x.bits() & DELALLOC) != 0) {
        delallocStates++;
      }
    }
    assertEquals(canonical(model), canonical(bytes), what + ": canonical state list");
    long delallocBytes = 0;
    for (int b : model) {
      delallocBytes += (b & DELALLOC) != 0 ? 1 : 0;
    }
    assertEquals(delallocBytes, acct.delallocBytes, what + ": hook byte accounting");
    assertEquals(delallocStates, acct.delallocStates, what + ": hook state accounting (merge/split)");
    assertEquals(states.size(), tree.stateCount(), what);
  }

  /** The canonical merged form: maximal runs of equal non-zero bits. */
  private static List<Extent> canonical(int[] bytes) {
    List<Extent> list = new ArrayList<>();
    int i = 0;
    while (i < bytes.length) {
      int j = i;
      while (j + 1 < bytes.length && bytes[j + 1] == bytes[i]) {
        j++;
      }
      if (bytes[i] != 0) {
        list.add(new Extent(i, j, bytes[i]));
      }
      i = j + 1;
    }
    return list;
  }

  private void checkQueries(
      String what, ExtentTree tree, int s, int e, int bits, RangeResult out, CachedState h) {
    List<Extent> states = tree.states();
    // Point lookup.
    Extent at = null;
    for (Extent x : states) {
      if (x.start() <= s && s <= x.end()) {
        at = x;
      }
    }
    assertEquals(at != null, tree.stateAt(s, out), what + ": stateAt");
    if (at != null) {
      assertEquals(at, out.toExtent(), what + ": stateAt");
    }
    assertEquals(model[s], tree.bitsAt(s), what + ": bitsAt");
    // findFirst: first state ending at or after s with any of bits.
    Extent first = null;
    for (Extent x : states) {
      if (x.end() >= s && (x.bits() & bits) != 0) {
        first = x;
        break;
      }
    }
    assertEquals(first != null, tree.findFirst(s, bits, out, h), what + ": findFirst");
    if (first != null) {
      assertEquals(first, out.toExtent(), what + ": findFirst");
      // contiguous: extend over adjacent states with any of bits
      long end = first.end();
      for (Extent x : states) {
        if (x.start() == end + 1 && (x.bits() & bits) != 0) {
          end = x.end();
        }
      }
      assertTrue(tree.findContiguous(s, bits, out), what);
      assertEquals(first.start(), out.start(), what + ": findContiguous start");
      assertEquals(end, out.end(), what + ": findContiguous end");
    } else {
      assertFalse(tree.findContiguous(s, bits, out), what);
    }
    // findFirstClear over bytes (beyond U everything is clear).
    int c = s;
    while (c < U && (model[c] & bits) != 0) {
      c++;
    }
    int runStart = c;
    while (runStart > 0 && (model[runStart - 1] & bits) == 0) {
      runStart--;
    }
    long runEnd = Long.MAX_VALUE;
    for (int i = c; i < U; i++) {
      if ((model[i] & bits) != 0) {
        runEnd = i - 1L;
        break;
      }
    }
    assertTrue(tree.findFirstClear(s, bits, out), what);
    assertEquals(runStart, out.start(), what + ": findFirstClear start");
    assertEquals(runEnd, out.end(), what + ": findFirstClear end");
    // Range tests.
    boolean all = true;
    boolean any = false;
    int or = 0;
    for (int i = s; i <= e; i++) {
      all &= (model[i] & bits) == bits;
      any |= (model[i] & bits) != 0;
      or |= model[i];
    }
    assertEquals(all, tree.rangeHasAll(s, e, bits, h), what + ": rangeHasAll");
    assertEquals(any, tree.rangeHasAny(s, e, bits), what + ": rangeHasAny");
    assertEquals(or, tree.rangeBits(s, e), what + ": rangeBits");
    // countBytes, per state like btrfs: stops once the total reaches max.
    for (boolean contig : new boolean[] {false, true}) {
      long max = 1 + (s % 7) * 5L;
      long total = 0;
      long firstByte = -1;
      long last = 0;
      for (Extent x : states) {
        if (x.end() < s) {
          continue;
        }
        if (x.start() > e) {
          break;
        }
        if (contig && firstByte >= 0 && x.start() > last + 1) {
          break;
        }
        if ((x.bits() & bits) == bits) {
          if (firstByte < 0) {
            firstByte = Math.max(s, x.start());
          }
          total += Math.min(e, x.end()) + 1 - Math.max(s, x.start());
          if (total >= max) {
            break;
          }
          last = x.end();
        } else if (contig && firstByte >= 0) {
          break;
        }
      }
      assertEquals(total, tree.countBytes(s, e, max, bits, contig, out, h), what + ": countBytes " + contig);
      assertEquals(firstByte >= 0, out.found(), what + ": countBytes first");
      if (firstByte >= 0) {
        assertEquals(firstByte, out.start(), what + ": countBytes first");
      }
    }
  }
}
