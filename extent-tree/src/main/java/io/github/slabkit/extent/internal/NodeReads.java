package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentVisitor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The read-only btrfs algorithms on a {@link NodeTree} (find, test, count, iterate), written once for two
 * callers: queries under the tree lock ({@code v == }{@link #LOCKED}) and optimistic readers holding a
 * version {@code v} from {@link NodeTree#beginRead()}.
 *
 * <p>An optimistic reader may read a node while a writer changes it, or after it was freed; the results
 * are then garbage, which the caller throws away when {@link NodeTree#validate} fails. These methods only
 * have to stay safe and finite on garbage: every count is clamped to the node's capacity
 * ({@link ReadCursor}), a descent follows at most {@link NodeTree#MAX_HEIGHT} levels, and every hop to
 * another leaf revalidates the version, so a loop over leaves ends as soon as a writer has changed
 * anything (a loop over a stable tree ends because the tree is finite). Exceptions from resolving a
 * garbage handle propagate to the caller, which treats them as a failed validation.
 */
public final class NodeReads {
  /** The version argument of a read made under the tree lock: no validation. */
  public static final long LOCKED = -1L;

  /**
   * The version argument of an optimistic read that validates the nodes it visits
   * ({@link NodeTree#beginNodes}, {@link NodeTree#validateNodes}); any other non-negative value is the
   * tree-wide version of {@link NodeTree#beginRead}.
   */
  public static final long NODES = -2L;

  private final NodeTree t;
  private final NodeLayout lay;

  NodeReads(NodeTree t) {
    this.t = t;
    this.lay = t.lay;
  }

  /**
   * Whether a read may hop to another leaf. In the tree-wide mode, only while nothing changed, which keeps
   * a read on garbage from following a cycle; a read that validates per node ends once a node it visited
   * was held, and after {@link ReadCursor#MAX_VISIT} nodes at most.
   */
  private boolean ok(ReadCursor c, long v) {
    return v == LOCKED || (v == NODES ? !c.failed : t.validate(v));
  }

  /**
   * Validates a read that recorded the nodes it visited; see {@link NodeTree#validateNodes}. Readers call
   * it here rather than through the tree, whose own fields share cache lines with the writer's.
   *
   * @param c the reader's cursor
   * @return true if still valid
   */
  public boolean validate(ReadCursor c) {
    VarHandle.acquireFence(); // orders the plain reads of the contents before the re-reads (load-load)
    if (c.failed || t.structureOpaque() != c.structure) {
      return false;
    }
    for (int i = 0; i < c.visited; i++) {
      long h = c.visitNode[i];
      if (NodeVersions.reread(lay.seg(h), lay.base(h)) != c.visitVersion[i]) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- positions

  /** Puts {@code c} on the first state whose end is at or after {@code off}; false if none. */
  boolean seek(ReadCursor c, long off, long v) {
    long n = t.root;
    int h = Math.min(t.height, NodeTree.MAX_HEIGHT);
    if (n == 0 || h <= 0) {
      c.leaf = 0;
      return false;
    }
    for (int l = 1; l < h; l++) {
      MemorySegment m = lay.seg(n);
      long o = lay.base(n);
      if (v == NODES && !c.visit(n, m, o)) {
        c.leaf = 0;
        return false;
      }
      int cnt = Math.min(Math.max(m.get(JAVA_INT_UNALIGNED, o + NodeLayout.COUNT), 1), lay.fanout);
      int i = lay.childFor(m, o, cnt, off);
      n = m.get(JAVA_LONG_UNALIGNED, o + lay.kids + 8L * i);
      if (n == 0) {
        c.leaf = 0;
        return false; // garbage: the caller's validation fails
      }
    }
    c.at(lay, n, 0, v);
    if (c.count == 0) {
      c.leaf = 0;
      return false;
    }
    int i = lay.floor(c.seg, c.base, c.count, off);
    if (i < 0) {
      long p = c.seg.get(JAVA_LONG_UNALIGNED, c.base + NodeLayout.PREV);
      if (p != 0) {
        long leaf = c.leaf;
        c.at(lay, p, Integer.MAX_VALUE, v);
        if (c.count > 0 && c.curEnd(lay) >= off) {
          return true;
        }
        c.at(lay, leaf, 0, v);
      }
      return true;
    }
    c.idx = i;
    return c.curEnd(lay) >= off || step(c, v);
  }

  /** Moves to the next state; false (leaf 0) past the last one or when the version changed. */
  boolean step(ReadCursor c, long v) {
    if (++c.idx < c.count) {
      return true;
    }
    long nx = c.seg.get(JAVA_LONG_UNALIGNED, c.base + NodeLayout.NEXT);
    if (nx == 0 || !ok(c, v)) {
      c.leaf = 0;
      return false;
    }
    c.at(lay, nx, 0, v);
    if (c.count == 0) {
      c.leaf = 0;
      return false;
    }
    return true;
  }

  /** Moves to the previous state; false (leaf 0) before the first one or when the version changed. */
  boolean back(ReadCursor c, long v) {
    if (--c.idx >= 0) {
      return true;
    }
    long pv = c.seg.get(JAVA_LONG_UNALIGNED, c.base + NodeLayout.PREV);
    if (pv == 0 || !ok(c, v)) {
      c.leaf = 0;
      return false;
    }
    c.at(lay, pv, Integer.MAX_VALUE, v);
    if (c.count == 0) {
      c.leaf = 0;
      return false;
    }
    return true;
  }

  /** Puts {@code c} on the last state; false if the tree is empty. */
  boolean last(ReadCursor c, long v) {
    long n = t.root;
    int h = Math.min(t.height, NodeTree.MAX_HEIGHT);
    if (n == 0 || h <= 0) {
      c.leaf = 0;
      return false;
    }
    for (int l = 1; l < h; l++) {
      MemorySegment m = lay.seg(n);
      long o = lay.base(n);
      if (v == NODES && !c.visit(n, m, o)) {
        c.leaf = 0;
        return false;
      }
      int cnt = Math.min(Math.max(m.get(JAVA_INT_UNALIGNED, o + NodeLayout.COUNT), 1), lay.fanout);
      n = m.get(JAVA_LONG_UNALIGNED, o + lay.kids + 8L * (cnt - 1));
      if (n == 0) {
        c.leaf = 0;
        return false;
      }
    }
    c.at(lay, n, Integer.MAX_VALUE, v);
    if (c.count == 0) {
      c.leaf = 0;
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- queries

  /**
   * Finds the state containing {@code off} (btrfs {@code tree_search} with an exact match).
   *
   * @param c the cursor; its result holds the state
   * @param off the offset
   * @param v the version, or {@link #LOCKED}
   * @return whether found
   */
  public boolean stateAt(ReadCursor c, long off, long v) {
    if (!seek(c, off, v)) {
      return false;
    }
    long s = c.curStart();
    return s <= off && c.result(s, c.curEnd(lay), c.curBits(lay));
  }

  /**
   * btrfs {@code find_first_extent_bit}: the first state ending at or after {@code from} with any of
   * {@code bits}.
   *
   * @param c the cursor
   * @param from the offset
   * @param bits the bits
   * @param v the version, or {@link #LOCKED}
   * @return whether found
   */
  public boolean firstWith(ReadCursor c, long from, int bits, long v) {
    boolean has = seek(c, from, v);
    while (has && (c.curBits(lay) & bits) == 0) {
      has = step(c, v);
    }
    c.resultLeaf = has ? c.leaf : 0;
    c.resultEpoch = t.removals(); // read before the caller validates: consistent with the leaf
    return has && c.result(c.curStart(), c.curEnd(lay), c.curBits(lay));
  }

  /**
   * The first state with any of {@code bits} from {@code from}, extended over the adjacent states with any
   * of them; the bits are the first state's.
   *
   * @param c the cursor
   * @param from the offset
   * @param bits the bits
   * @param v the version, or {@link #LOCKED}
   * @return whether found
   */
  public boolean contiguousWith(ReadCursor c, long from, int bits, long v) {
    if (!firstWith(c, from, bits, v)) {
      return false;
    }
    long start = c.resultStart;
    long end = c.resultEnd;
    int first = c.resultBits;
    while (end != Long.MAX_VALUE && step(c, v) && c.curStart() == end + 1 && (c.curBits(lay) & bits) != 0) {
      end = c.curEnd(lay);
    }
    return c.result(start, end, first);
  }

  /**
   * btrfs {@code find_delalloc_range}; see {@link StateQueries#findRun}.
   *
   * @param c the cursor
   * @param from the offset
   * @param bit the run bits
   * @param boundary the bits that start a new run
   * @param maxBytes where to stop
   * @param v the version, or {@link #LOCKED}
   * @return whether found
   */
  public boolean runWith(ReadCursor c, long from, int bit, int boundary, long maxBytes, long v) {
    if (!firstWith(c, from, bit, v)) {
      return false;
    }
    long start = c.resultStart;
    long end = c.resultEnd;
    int first = c.resultBits;
    long total = end - start + 1;
    while (total < maxBytes && end != Long.MAX_VALUE && step(c, v)) {
      int b = c.curBits(lay);
      long s = c.curStart();
      if (s != end + 1 || (b & bit) == 0 || (b & boundary) != 0) {
        break;
      }
      end = c.curEnd(lay);
      total += end - s + 1;
    }
    return c.result(start, end, first);
  }

  /**
   * The maximal run of bytes without any of {@code bits} containing {@code from} or first after it; see
   * {@link StateQueries#findFirstClear}.
   *
   * @param c the cursor
   * @param from the offset
   * @param bits the bits
   * @param v the version, or {@link #LOCKED}
   * @return false if no byte at or after {@code from} is clear
   */
  public boolean findFirstClear(ReadCursor c, long from, int bits, long v) {
    boolean has = seek(c, from, v);
    while (has && c.curStart() <= from && (c.curBits(lay) & bits) != 0) {
      long e = c.curEnd(lay);
      if (e == Long.MAX_VALUE) {
        return false;
      }
      from = e + 1;
      has = step(c, v);
    }
    // from is clear: in a hole before the cursor's state (or after every state), or in a state lacking them.
    long hLeaf = has ? c.leaf : 0;
    int hIdx = c.idx;
    long runStart;
    boolean p;
    if (has && c.curStart() <= from) {
      runStart = c.curStart();
      p = back(c, v);
    } else {
      runStart = from;
      p = has ? back(c, v) : last(c, v);
    }
    while (true) {
      if (!p) {
        runStart = 0;
        break;
      }
      if ((c.curBits(lay) & bits) != 0) {
        runStart = c.curEnd(lay) + 1;
        break;
      }
      runStart = c.curStart();
      p = back(c, v);
    }
    long runEnd = Long.MAX_VALUE;
    if (hLeaf != 0) {
      c.at(lay, hLeaf, hIdx, v);
      do {
        if ((c.curBits(lay) & bits) != 0) {
          runEnd = c.curStart() - 1;
          break;
        }
      } while (step(c, v));
    }
    return c.result(runStart, runEnd, 0);
  }

  /**
   * btrfs {@code test_range_bit}: every byte is in a state with all of {@code bits}.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param v the version, or {@link #LOCKED}
   * @return true if all have them
   */
  public boolean hasAll(ReadCursor c, long start, long end, int bits, long v) {
    boolean has = seek(c, start, v);
    while (has) {
      if (c.curStart() > start || (c.curBits(lay) & bits) != bits) {
        return false;
      }
      long e = c.curEnd(lay);
      if (e >= end) {
        return true;
      }
      start = e + 1;
      has = step(c, v);
    }
    return false;
  }

  /**
   * Whether any byte of the range is in a state with any of {@code bits}.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param v the version, or {@link #LOCKED}
   * @return true if so
   */
  public boolean hasAny(ReadCursor c, long start, long end, int bits, long v) {
    for (boolean has = seek(c, start, v); has && c.curStart() <= end; has = step(c, v)) {
      if ((c.curBits(lay) & bits) != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * The OR of the bits of every state overlapping the range.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param v the version, or {@link #LOCKED}
   * @return the bits
   */
  public int rangeBits(ReadCursor c, long start, long end, long v) {
    int or = 0;
    for (boolean has = seek(c, start, v); has && c.curStart() <= end; has = step(c, v)) {
      or |= c.curBits(lay);
    }
    return or;
  }

  /**
   * btrfs {@code count_range_bits}; see {@link StateQueries#count}. The first byte counted goes to the
   * cursor's result start ({@code -1} if none).
   *
   * @param c the cursor
   * @param start first offset
   * @param searchEnd last offset
   * @param maxBytes where to stop (unsigned)
   * @param bits the bits
   * @param contiguous whether to stop at the first gap
   * @param v the version, or {@link #LOCKED}
   * @return the byte count
   */
  public long count(ReadCursor c, long start, long searchEnd, long maxBytes, int bits, boolean contiguous,
      long v) {
    long total = 0;
    boolean found = false;
    long last = 0;
    long first = -1;
    for (boolean has = seek(c, start, v); has; has = step(c, v)) {
      long s = c.curStart();
      if (s > searchEnd) {
        break;
      }
      if (contiguous && found && s > last + 1) {
        break;
      }
      long e = c.curEnd(lay);
      if ((c.curBits(lay) & bits) == bits) {
        if (!found) {
          first = Math.max(start, s);
          found = true;
        }
        total += Math.min(searchEnd, e) + 1 - Math.max(start, s);
        if (Long.compareUnsigned(total, maxBytes) >= 0) {
          break;
        }
        last = e;
      } else if (contiguous && found) {
        break;
      }
    }
    c.resultStart = first;
    return total;
  }

  /**
   * Visits the states overlapping the range in order; under the tree lock only.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param visitor the visitor
   * @return the number visited
   */
  public int forEach(ReadCursor c, long start, long end, ExtentVisitor visitor) {
    int n = 0;
    for (boolean has = seek(c, start, LOCKED); has; has = step(c, LOCKED)) {
      long s = c.curStart();
      if (s > end) {
        break;
      }
      n++;
      if (!visitor.visit(s, c.curEnd(lay), c.curBits(lay))) {
        break;
      }
    }
    return n;
  }

  /**
   * The first byte of the range lacking one of {@code bits}, or -1; under the tree lock.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the offset or -1
   */
  public long firstLacking(ReadCursor c, long start, long end, int bits) {
    boolean has = seek(c, start, LOCKED);
    while (has) {
      if (c.curStart() > start || (c.curBits(lay) & bits) != bits) {
        return start;
      }
      long e = c.curEnd(lay);
      if (e >= end) {
        return -1;
      }
      start = e + 1;
      has = step(c, LOCKED);
    }
    return start;
  }

  /**
   * How many new states a set of the range would need at most now; under the tree lock.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the count
   */
  public long statesNeeded(ReadCursor c, long start, long end, int bits) {
    long n = 0;
    long cur = start;
    for (boolean has = seek(c, start, LOCKED); ; has = step(c, LOCKED)) {
      if (!has || c.curStart() > end) {
        return n + 1;
      }
      long s = c.curStart();
      long e = c.curEnd(lay);
      int b = c.curBits(lay);
      boolean splits = (b & bits) != bits || (b & NO_MERGE_BITS) != 0;
      if (s > cur || (s < cur && splits)) {
        n++;
      }
      if (e >= end) {
        return e > end && splits ? n + 1 : n;
      }
      cur = e + 1;
    }
  }

  /**
   * The start of the first state within the range with any of {@code bits}, or -1; under the tree lock.
   *
   * @param c the cursor
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the start or -1
   */
  public long firstStartWithin(ReadCursor c, long start, long end, int bits) {
    for (boolean has = seek(c, start, LOCKED); has && c.curStart() <= end; has = step(c, LOCKED)) {
      if ((c.curBits(lay) & bits) != 0) {
        return c.curStart();
      }
    }
    return -1;
  }

  /**
   * Lists the states carrying lock bits; under the tree lock.
   *
   * @param c the cursor
   * @param sb the target
   * @param max how many to list
   * @return how many carry lock bits
   */
  public long describeLocked(ReadCursor c, StringBuilder sb, int max) {
    long n = 0;
    for (boolean has = seek(c, Long.MIN_VALUE, LOCKED); has; has = step(c, LOCKED)) {
      int b = c.curBits(lay);
      if ((b & LOCK_BITS) == 0) {
        continue;
      }
      if (n < max) {
        sb.append(n == 0 ? "" : ", ").append('[').append(c.curStart()).append(", ").append(c.curEnd(lay))
            .append("] ").append(ExtentBits.toString(b));
      } else if (n == max) {
        sb.append(", ...");
      }
      n++;
    }
    return n;
  }
}
