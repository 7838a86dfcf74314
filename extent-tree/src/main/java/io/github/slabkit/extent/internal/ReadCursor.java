package io.github.slabkit.extent.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * A reader's position in a {@link NodeTree} (a leaf and an index in it, with the leaf's memory resolved
 * once) and the range a query found. One per thread (optimistic readers run concurrently) and one per tree
 * for the queries its writers make under the lock; reusable, so queries allocate nothing.
 */
public final class ReadCursor {
  /** The nodes a read that validates per node ({@link NodeReads#NODES}) records at most. */
  static final int MAX_VISIT = 16;

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
  // A read that validates per node: the structure version it began with, and each node it visited with the
  // version it read first; failed once a node was held by a writer or the record overflowed.
  long structure;
  final long[] visitNode = new long[MAX_VISIT];
  final long[] visitVersion = new long[MAX_VISIT];
  int visited;
  boolean failed;
  boolean overflow;

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

  /**
   * Returns whether the last read that validates per node (begun by {@link NodeTree#beginNodes}) visited
   * more nodes than it can record ({@value #MAX_VISIT}), so that it must be retried in the tree-wide mode.
   *
   * @return whether the record overflowed
   */
  public boolean overflowed() {
    return overflow;
  }

  void begin(long structure) {
    this.structure = structure;
    visited = 0;
    failed = false;
    overflow = false;
  }

  /**
   * Records node {@code h}'s version (read with acquire, before any of its contents) for validation;
   * false, and the read failed, if a writer holds the node or the record is full.
   */
  boolean visit(long h, MemorySegment m, long o) {
    long v = NodeVersions.read(m, o);
    if ((v & 1) != 0 || visited == MAX_VISIT) {
      overflow |= visited == MAX_VISIT;
      failed = true;
      return false;
    }
    visitNode[visited] = h;
    visitVersion[visited++] = v;
    return true;
  }

  /**
   * Moves to {@code leaf}, resolving its memory; its count is clamped so that no index leaves the node. A
   * read that validates per node records the leaf first, and sees it empty if it cannot.
   */
  void at(NodeLayout lay, long leaf, int idx, long v) {
    this.leaf = leaf;
    this.seg = lay.seg(leaf);
    this.base = lay.base(leaf);
    if (v == NodeReads.NODES && !visit(leaf, seg, base)) {
      this.count = 0;
      this.idx = 0;
      return;
    }
    int n = seg.get(JAVA_INT_UNALIGNED, base + NodeLayout.COUNT);
    this.count = n < 0 ? 0 : Math.min(n, lay.leafCap);
    this.idx = Math.min(idx, Math.max(0, count - 1));
  }

  long curStart() {
    return seg.get(JAVA_LONG_UNALIGNED, base + NodeLayout.STARTS + 8L * idx);
  }

  long curEnd(NodeLayout lay) {
    return seg.get(JAVA_LONG_UNALIGNED, base + lay.ends + 8L * idx);
  }

  int curBits(NodeLayout lay) {
    return seg.get(JAVA_INT_UNALIGNED, base + lay.bitsAt + 4L * idx);
  }
}
