package io.github.slabkit.extent.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;

/**
 * The off-heap layout of the nodes of a {@link NodeTree}, and plain accessors for them. A node is one
 * object of the tree's allocator ({@link #NODE_SIZE} bytes by default), either a leaf or an inner node;
 * the tree's height says which (level 1 is the leaves).
 *
 * <pre>
 * leaf (capacity C, default 49; 32 + 20 C bytes)
 *   0        version long   the node's seqlock: odd while a writer's step holds it (see NodeVersions)
 *   8        count   int    entries in use, 0 &lt; count &lt;= C
 *  16        prev    long   handle of the previous leaf, 0 for the first
 *  24        next    long   handle of the next leaf, 0 for the last
 *  32        starts  long[C] first offsets, strictly increasing
 *  32 + 8C   ends    long[C] last offsets, inclusive
 *  32 + 16C  bits    int[C]  the states' bits
 *
 * inner node (fanout F, default 63; 8 + 16 F bytes)
 *   0        version long   as in a leaf
 *   8        count   int    children in use, 0 &lt; count &lt;= F
 *  16        keys    long[F - 1] separators: key[i] lies between the starts of child i and child i + 1
 *   8 + 8F   kids    long[F] child handles
 * </pre>
 *
 * <p>Structure of arrays, so that a binary search over the starts touches one or two cache lines. The
 * accessors of the contents are plain: writers hold the tree lock and hold each node's version odd while
 * they change it ({@link NodeVersions#lock}, called by every setter here), and optimistic readers read a
 * node's version before its contents and validate it after (see {@link NodeTree}); a reader that raced
 * with a writer may see any value here, so readers clamp every count they read to the capacity before
 * using it as an index.
 *
 * <p>Every plain access uses the unaligned layouts ({@code JAVA_LONG_UNALIGNED}, {@code JAVA_INT_UNALIGNED}).
 * The fields are aligned all the same (slab objects are 8-byte aligned and every offset above is a multiple
 * of its field's size), but an aligned layout makes each access test the address's alignment, and the JIT
 * cannot drop that test for slab memory, whose base address it does not know: it was about a twentieth of
 * a range lock+unlock in a profile (async-profiler, itimer). Plain accesses promise no atomicity either way;
 * writers hold the tree lock and readers validate versions. The versions' atomic accesses ({@link
 * NodeVersions}) keep the aligned layout that their access modes require.
 */
public final class NodeLayout extends NodeLayoutPad1 {
  /** Bytes per node with the default capacities: a slab object of this size holds one node. */
  public static final long NODE_SIZE = 1024;
  /** The default leaf capacity, in states. */
  public static final int LEAF_CAPACITY = 49;
  /** The default inner fanout, in children. */
  public static final int FANOUT = 63;

  static final long VERSION = 0;
  static final long COUNT = 8;
  static final long PREV = 16;
  static final long NEXT = 24;
  static final long STARTS = 32;
  static final long KEYS = 16;

  // The shape (allocator, capacities, offsets) is in NodeShape, on cache lines of its own: readers read it
  // at every node, and the writer's fields below change all the time.
  final NodeVersions versions;

  /**
   * Creates the layout.
   *
   * @param mem resolves handles to memory
   * @param leafCap states per leaf, at least 3
   * @param fanout children per inner node, at least 3
   * @param top the tree's structure version
   */
  NodeLayout(ObjectAllocator mem, int leafCap, int fanout, NodeTreeTop top) {
    super(mem, leafCap, fanout);
    this.versions = new NodeVersions(this, top);
  }

  /**
   * Returns the bytes a node of these capacities needs.
   *
   * @param leafCap states per leaf
   * @param fanout children per inner node
   * @return the node size
   */
  public static long nodeSize(int leafCap, int fanout) {
    return Math.max(STARTS + 20L * leafCap, KEYS + 16L * fanout - 8);
  }

  // The writer's resolution of the node it touched last, under the tree lock only: resolving a handle
  // through the allocator is a chain of dependent loads, and a step reads and writes one leaf many times.
  // Forgotten whenever the tree frees a node (forget), as its handle may later name another slab's memory.
  private long wh;
  private MemorySegment wm = MemorySegment.NULL;
  private long wo;

  /** Resolves a handle without the writer's cache: for optimistic readers and anything not under the lock. */
  MemorySegment seg(long h) {
    return mem.memory(h);
  }

  /** The offset of a handle's node in {@link #seg}: arithmetic, no cache. */
  long base(long h) {
    return mem.offset(h);
  }

  /** The writer's resolution of {@code h}, under the tree lock; its offset is then {@link #wbase()}. */
  MemorySegment wseg(long h) {
    if (h != wh) {
      wm = mem.memory(h);
      wo = mem.offset(h);
      wh = h;
    }
    return wm;
  }

  /** The offset of the node {@link #wseg} resolved last. */
  long wbase() {
    return wo;
  }

  /** Forgets the writer's resolution; called before the tree frees a node. */
  void forget() {
    wh = 0;
    wm = MemorySegment.NULL;
  }

  // ---------------------------------------------------------------- both kinds

  int count(long h) {
    return wseg(h).get(JAVA_INT_UNALIGNED, wo + COUNT);
  }

  void setCount(long h, int n) {
    versions.lock(h);
    wseg(h).set(JAVA_INT_UNALIGNED, wo + COUNT, n);
  }

  // ---------------------------------------------------------------- leaves

  long prev(long leaf) {
    return wseg(leaf).get(JAVA_LONG_UNALIGNED, wo + PREV);
  }

  long next(long leaf) {
    return wseg(leaf).get(JAVA_LONG_UNALIGNED, wo + NEXT);
  }

  void setPrev(long leaf, long v) {
    versions.lock(leaf);
    wseg(leaf).set(JAVA_LONG_UNALIGNED, wo + PREV, v);
  }

  void setNext(long leaf, long v) {
    versions.lock(leaf);
    wseg(leaf).set(JAVA_LONG_UNALIGNED, wo + NEXT, v);
  }

  long start(long leaf, int i) {
    return wseg(leaf).get(JAVA_LONG_UNALIGNED, wo + STARTS + 8L * i);
  }

  long end(long leaf, int i) {
    return wseg(leaf).get(JAVA_LONG_UNALIGNED, wo + ends + 8L * i);
  }

  int bits(long leaf, int i) {
    return wseg(leaf).get(JAVA_INT_UNALIGNED, wo + bitsAt + 4L * i);
  }

  void setEnd(long leaf, int i, long v) {
    versions.lock(leaf);
    wseg(leaf).set(JAVA_LONG_UNALIGNED, wo + ends + 8L * i, v);
  }

  void setBits(long leaf, int i, int v) {
    versions.lock(leaf);
    wseg(leaf).set(JAVA_INT_UNALIGNED, wo + bitsAt + 4L * i, v);
  }

  void setEntry(long leaf, int i, long s, long e, int b) {
    versions.lock(leaf);
    MemorySegment m = wseg(leaf);
    long o = wo;
    m.set(JAVA_LONG_UNALIGNED, o + STARTS + 8L * i, s);
    m.set(JAVA_LONG_UNALIGNED, o + ends + 8L * i, e);
    m.set(JAVA_INT_UNALIGNED, o + bitsAt + 4L * i, b);
  }

  /** Moves entries {@code [from, from + n)} of {@code src} to {@code [to, to + n)} of {@code dst}. */
  void moveEntries(long src, int from, long dst, int to, int n) {
    if (n <= 0) {
      return;
    }
    versions.lock(dst);
    MemorySegment s = wseg(src);
    long so = wo;
    MemorySegment d = wseg(dst);
    long dO = wo;
    MemorySegment.copy(s, so + STARTS + 8L * from, d, dO + STARTS + 8L * to, 8L * n);
    MemorySegment.copy(s, so + ends + 8L * from, d, dO + ends + 8L * to, 8L * n);
    MemorySegment.copy(s, so + bitsAt + 4L * from, d, dO + bitsAt + 4L * to, 4L * n);
  }

  /**
   * Returns the index of the last entry of {@code leaf} whose start is at or before {@code off}, or -1: a
   * search over the first {@code n} starts.
   */
  int floor(MemorySegment m, long o, int n, long off) {
    return atOrBefore(m, o + STARTS, n, off) - 1;
  }

  /**
   * Returns how many of the {@code n} ascending longs at {@code at} are at or before {@code off}. Unlike a
   * binary search, whose every probe waits for the one before (four or five dependent cache misses in a
   * node of 1 KB), it first reads the last value of each group of eight, independent loads whose misses
   * overlap, to find the group, then counts within that group: about two miss latencies per node. The
   * counting is branch-free, so random offsets cost no mispredictions either.
   */
  static int atOrBefore(MemorySegment m, long at, int n, long off) {
    int groups = 0;
    for (int j = 7; j < n; j += 8) {
      groups += m.get(JAVA_LONG_UNALIGNED, at + 8L * j) <= off ? 1 : 0;
    }
    int lo = groups << 3; // every value before lo is at or before off: its group's last one is
    int hi = Math.min(lo + 8, n);
    int c = lo;
    for (int j = lo; j < hi; j++) {
      c += m.get(JAVA_LONG_UNALIGNED, at + 8L * j) <= off ? 1 : 0;
    }
    return c;
  }

  // ---------------------------------------------------------------- inner nodes

  long key(long node, int i) {
    return wseg(node).get(JAVA_LONG_UNALIGNED, wo + KEYS + 8L * i);
  }

  long kid(long node, int i) {
    return wseg(node).get(JAVA_LONG_UNALIGNED, wo + kids + 8L * i);
  }

  void setKey(long node, int i, long v) {
    versions.lock(node);
    wseg(node).set(JAVA_LONG_UNALIGNED, wo + KEYS + 8L * i, v);
  }

  void setKid(long node, int i, long v) {
    versions.lock(node);
    wseg(node).set(JAVA_LONG_UNALIGNED, wo + kids + 8L * i, v);
  }

  /** Moves keys {@code [from, from + n)} of {@code src} to {@code [to, to + n)} of {@code dst}. */
  void moveKeys(long src, int from, long dst, int to, int n) {
    if (n > 0) {
      versions.lock(dst);
      MemorySegment s = wseg(src);
      long so = wo;
      MemorySegment.copy(s, so + KEYS + 8L * from, wseg(dst), wo + KEYS + 8L * to, 8L * n);
    }
  }

  /** Moves child handles {@code [from, from + n)} of {@code src} to {@code [to, to + n)} of {@code dst}. */
  void moveKids(long src, int from, long dst, int to, int n) {
    if (n > 0) {
      versions.lock(dst);
      MemorySegment s = wseg(src);
      long so = wo;
      MemorySegment.copy(s, so + kids + 8L * from, wseg(dst), wo + kids + 8L * to, 8L * n);
    }
  }

  /**
   * Returns the child of an inner node whose subtree holds {@code off}: the number of the first
   * {@code n - 1} keys at or before it.
   */
  int childFor(MemorySegment m, long o, int n, long off) {
    return atOrBefore(m, o + KEYS, n - 1, off);
  }
}
