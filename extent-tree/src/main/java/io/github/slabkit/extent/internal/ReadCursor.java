package io.github.slabkit.extent.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * A reader's position in a {@link NodeTree} (a leaf and an index in it, with the leaf's memory resolved
 * once) and the range a query found. One per thread (optimistic readers run concurrently) and one per tree
 * for the queries its writers make under the lock; reusable, so queries allocate nothing.
 */
public final class ReadCursor {
  long leaf;
  int idx;
  int count;
  MemorySegment seg = MemorySegment.NULL;
  long base;
  long resultStart;
  long resultEnd;
  int resultBits;
  long resultLeaf;
  long resultEpoch;

  /** Creates a cursor. */
  public ReadCursor() {}

  /**
   * Returns the start of the range the last query found.
   *
   * @return the start
   */
  public long start() {
    return resultStart;
  }

  /**
   * Returns the inclusive end of the range the last query found.
   *
   * @return the end
   */
  public long end() {
    return resultEnd;
  }

  /**
   * Returns the bits of the range the last query found.
   *
   * @return the bits
   */
  public int bits() {
    return resultBits;
  }

  /**
   * Returns the leaf of the state the last {@code firstWith} found, a position hint valid while the
   * tree's removal epoch is {@link #epoch()}.
   *
   * @return the leaf handle
   */
  public long leaf() {
    return resultLeaf;
  }

  /**
   * Returns the tree's removal epoch read with {@link #leaf()}.
   *
   * @return the epoch
   */
  public long epoch() {
    return resultEpoch;
  }

  boolean result(long s, long e, int b) {
    resultStart = s;
    resultEnd = e;
    resultBits = b;
    return true;
  }

  /** Moves to {@code leaf}, resolving its memory; its count is clamped so that no index leaves the node. */
  void at(NodeLayout lay, long leaf, int idx) {
    this.leaf = leaf;
    this.seg = lay.seg(leaf);
    this.base = lay.base(leaf);
    int n = seg.get(JAVA_INT, base + NodeLayout.COUNT);
    this.count = n < 0 ? 0 : Math.min(n, lay.leafCap);
    this.idx = Math.min(idx, Math.max(0, count - 1));
  }

  long curStart() {
    return seg.get(JAVA_LONG, base + NodeLayout.STARTS + 8L * idx);
  }

  long curEnd(NodeLayout lay) {
    return seg.get(JAVA_LONG, base + lay.ends + 8L * idx);
  }

  int curBits(NodeLayout lay) {
    return seg.get(JAVA_INT, base + lay.bitsAt + 4L * idx);
  }
}
