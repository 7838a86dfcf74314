package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.ExtentHooks;
import io.github.slabkit.extent.ExtentVisitor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The extent states of one tree in an off-heap B+tree, and the btrfs algorithms that change them (set,
 * clear, convert with split, merge, insert and remove), with the same results and hook calls as
 * {@link StateTree}.
 *
 * <h2>Structure</h2>
 * Leaves ({@link NodeLayout}) hold sorted arrays of disjoint states {@code (start, end, bits)} and are
 * linked both ways; inner nodes hold separator keys and child handles. Invariants:
 * <ul>
 *   <li>All leaves are at the same depth, {@code height} levels below the root (1: the root is a leaf);
 *       no node is empty except a root leaf, which the tree keeps when its last state goes (so that
 *       lock+unlock of a range in an empty tree neither allocates nor frees a node, and changes neither
 *       the root nor the structure version); an inner root has at least two children.
 *   <li>For the key {@code k} between two subtrees {@code A} and {@code B} of an inner node, every state in
 *       {@code A} starts before {@code k} and every state in {@code B} starts at or after it. Ends do not
 *       take part: a state's end may pass {@code k}, which is why a search that lands before the first
 *       state of a leaf also looks at the last state of the previous leaf.
 *   <li><b>A state's start never changes</b> once it is in a leaf, so keys never go stale: a merge keeps
 *       the left state and extends its end, and a split shortens the state in place and inserts the right
 *       piece as a new state. Merging and splitting are statements about ranges (the hooks see btrfs's
 *       calls), not about which slot survives.
 *   <li>The btrfs invariants of {@link StateTree}: no state without bits, no two adjacent mergeable states.
 * </ul>
 * Removing the last state of a leaf other than the root frees the leaf (and any inner node left without
 * children, and the root while it has one child); a leaf that removals leave at most a quarter full merges with a sibling
 * when both fit in three quarters of a leaf. A full leaf that must take a state first hands states to a
 * sibling under the same parent that has room for two ({@link #shiftToSibling}, B*-tree style), and splits
 * only when neither has: under random churn leaves stay about two thirds full instead of half. Neither
 * ever needs memory.
 *
 * <h2>Lazy allocation</h2>
 * Only inserting a state (a hole, or the second piece of a split) can need memory: a full leaf splits, and
 * so may each full ancestor, so one insertion needs at most {@code height + 1} nodes. Before it changes
 * anything at that point, the operation takes exactly what the insertion needs ({@link StateAllocator#take},
 * never waiting); if any is missing it gives back what it took, records the number in {@link #needed()} and
 * returns the offset to resume from, as {@link StateTree} does for one state; the caller waits for that
 * many all or nothing ({@link StateAllocator#awaitMany}) holding nothing, and searches again. An operation
 * that inserts no state never calls the allocator.
 *
 * <h2>Memory ordering: optimistic readers</h2>
 * Writers hold the tree lock. Queries may instead run without it ({@link NodeReads}), as in optimistic
 * lock coupling (Leis et al., "The ART of practical synchronization", DaMoN 2016; LeanStore): every node
 * carries a version, a seqlock (Boehm, "Can seqlocks get along with programming language memory
 * models?", MSPC 2012), and a reader validates only the nodes it read, so a writer's step conflicts with
 * the readers of the nodes it changes and no others ({@link NodeVersions} holds the writer's side):
 * <ul>
 *   <li><b>Writer.</b> Before its first change to a node in a step, the writer makes the node's version
 *       odd with an opaque store followed by a store-store fence, so no write of the node can become
 *       visible before the odd version. It keeps every node it changed odd until the step ends, then
 *       makes each even again with a release store, which publishes every write of the step made before
 *       it. Before it changes {@code root} or {@code height}, or frees a node (and before the removal
 *       epoch changes, which goes with a free), it makes the tree's structure version odd the same way,
 *       lets go of the nodes it held, and holds none for the rest of the step; the release store that
 *       makes the structure version even ends the step.
 *   <li><b>Reader.</b> It reads the structure version with acquire (retrying while odd), then
 *       {@code root} and {@code height}, then each node's version with acquire before the node's
 *       contents (plain reads), recording each node and version ({@link ReadCursor}). At the end it
 *       issues an acquire (load-load) fence and re-reads the structure version and each recorded version
 *       ({@link #validateNodes}); it keeps its result only if none changed and none was odd.
 *   <li><b>Why that suffices.</b> Steps run one at a time under the tree lock. Take a step W that
 *       changed visited nodes X and Y, and suppose the reader saw X after W and Y before W. Seeing X
 *       after W means its acquire read of X's version saw W's release of X; W made Y odd before that
 *       release, so everything the reader reads afterwards, its validating re-read of Y included, sees
 *       Y odd or later, and the validation fails. So a validated read saw each step either in every node
 *       it visited or in none, that is, a state the tree was in. A step in structural mode changes nodes
 *       without their versions; any reader that overlaps it sees the structure version change. Freed
 *       nodes may come back with a reset version (ABA), but never while a reader that could hold them
 *       validates: their free changed the structure version.
 *   <li><b>Long reads.</b> A read records at most {@link ReadCursor#MAX_VISIT} nodes; a longer one is
 *       retried in the tree-wide mode: {@code version} is odd while any step changes anything
 *       ({@link #beginWrite}, {@link #endWrite}, the same opaque-then-fence and release stores), and the
 *       reader validates it at every hop to another leaf and at the end ({@link #validate}). After a few
 *       failed attempts either way, a reader takes the tree lock.
 *   <li>A reader may read a node that a writer is changing or has freed, even one reused for another
 *       node or released with its slab. It may then see any value: every count it reads is clamped to the
 *       node's capacity before it indexes with it, a descent follows at most {@link #MAX_HEIGHT} levels,
 *       a read visits a bounded number of leaves (per-node mode) or revalidates at each hop (tree-wide
 *       mode), so a cycle built from garbage cannot trap it, and an exception from resolving a garbage
 *       handle or from a released slab counts as a failed validation.
 * </ul>
 *
 * <h2>Threading</h2>
 * Every method except the optimistic entry points ({@link #beginNodes}, {@link #validateNodes},
 * {@link #beginRead}, {@link #validate}, {@link #isFreed}, {@link #reads}) is called under the owning
 * tree's lock.
 */
public final class NodeTree extends NodeTreePad1 implements StateStore {
  /** The deepest tree a reader follows: a bound on garbage, far above any real height. */
  static final int MAX_HEIGHT = 64;

  final NodeLayout lay;
  private final StateAllocator alloc;
  private final ExtentHooks hooks;
  private final boolean hooked;
  private final WaitQueue waiters;
  private final NodeReads reads;
  private final ReadCursor own = new ReadCursor();

  private long size;
  private long removals;
  private long lastLeaf;
  private long failedStart;
  private int needed = 1;
  @SuppressWarnings({"unused", "FieldMayBeFinal"}) // accessed through VERSION
  private long version;
  private boolean writing;

  // The writer's cursor: the state the running operation is at (leaf handle 0: past the last state).
  private long cl;
  private int ci;

  // The last descent from the root: the node and the child index taken at each level.
  private final long[] pathNode = new long[MAX_HEIGHT];
  private final int[] pathIdx = new int[MAX_HEIGHT];
  // An insertion prepared by prepareInsert: where, and the nodes its splits will use.
  private long insLeaf;
  private int insIdx;
  private int insShift; // 1 or -1: the full leaf first hands entries to its next or previous sibling
  private final long[] fresh = new long[MAX_HEIGHT + 1];
  private int freshCount;
  private int freshUsed;
  // Starts of states in leaves a removal left less than a quarter full: merged with a sibling at step end.
  private final long[] sparse = new long[2];
  private int sparseCount;
  private final long[] tmpKeys;
  private final long[] tmpKids;

  /**
   * Creates an empty tree.
   *
   * @param alloc where nodes come from and go back to
   * @param memory resolves node handles to memory
   * @param hooks the accounting hooks
   * @param waiters the tree's wait queue, woken when lock bits are cleared
   * @param leafCap states per leaf (at least 3)
   * @param fanout children per inner node (at least 3)
   */
  @SuppressWarnings("ReferenceEquality") // identity of the no-op singleton is what skips the calls
  public NodeTree(StateAllocator alloc, ObjectAllocator memory, ExtentHooks hooks, WaitQueue waiters, int leafCap,
      int fanout) {
    if (leafCap < 3 || fanout < 3) {
      throw new IllegalArgumentException("leaf capacity " + leafCap + " and fanout " + fanout + " must be >= 3");
    }
    long need = NodeLayout.nodeSize(leafCap, fanout);
    if (memory.objectSize() < need) {
      throw new IllegalArgumentException(memory.name() + " holds " + memory.objectSize()
          + "-byte objects; B+tree nodes need " + need + " bytes (use a pool of node-sized objects)");
    }
    this.lay = new NodeLayout(memory, leafCap, fanout, this);
    this.alloc = alloc;
    this.hooks = hooks;
    this.hooked = hooks != ExtentHooks.NONE;
    this.waiters = waiters;
    this.reads = new NodeReads(this);
    this.tmpKeys = new long[fanout + 1];
    this.tmpKids = new long[fanout + 1];
  }

  // ---------------------------------------------------------------- version (see Memory ordering)

  /**
   * Returns the tree-wide version a long optimistic read starts from; odd while a writer changes the tree.
   *
   * @return the version
   */
  public long beginRead() {
    return (long) VERSION.getAcquire(this);
  }

  /**
   * Returns whether nothing changed since {@link #beginRead} returned {@code v}: what was read in between
   * is a state the tree was in.
   *
   * @param v the version read first
   * @return true if still valid
   */
  public boolean validate(long v) {
    VarHandle.acquireFence(); // orders the plain node reads before the version re-read (load-load)
    return (long) VERSION.getOpaque(this) == v;
  }

  /**
   * Starts an optimistic read that validates the nodes it visits ({@link NodeReads#NODES}): reads the
   * structure version with acquire into {@code c} and forgets the nodes of the previous read.
   *
   * @param c the reader's cursor
   * @return false if a writer is changing the structure now (the read cannot validate)
   */
  public boolean beginNodes(ReadCursor c) {
    long s = structureAcquire();
    c.begin(s);
    return (s & 1) == 0;
  }

  /**
   * Returns whether the read begun with {@link #beginNodes} saw a state the tree was in: no node it visited
   * was held by a writer or changed since the reader read its version, the structure version is unchanged
   * (so no node was freed and the root is the same), and the read did not visit more nodes than it can
   * record. Each node was unchanged from its first read to the re-read here, and every first read precedes
   * every re-read, so at the moment of the first re-read all of them held what the reader saw.
   *
   * @param c the reader's cursor
   * @return true if still valid
   */
  public boolean validateNodes(ReadCursor c) {
    return reads.validate(c);
  }

  /**
   * Returns whether the tree was closed: its nodes are freed (set before the structure version becomes
   * odd for the last time, so a reader that validates a read made after it sees it).
   *
   * @return whether closed
   */
  public boolean isFreed() {
    return freed;
  }

  /**
   * Returns the read algorithms, for optimistic readers.
   *
   * @return the reads
   */
  public NodeReads reads() {
    return reads;
  }

  private void beginWrite() {
    if (!writing) {
      writing = true;
      VERSION.setOpaque(this, version + 1);
      VarHandle.storeStoreFence(); // the odd version is visible before any node write of this step
    }
  }

  private void endWrite() {
    lay.versions.release();
    if (writing) {
      writing = false;
      VERSION.setRelease(this, version + 1); // publishes every node write of the step
    }
  }

  // ---------------------------------------------------------------- set, clear, convert

  @Override
  public long set(long start, long end, int bits, int exclusive, @Nullable RangeLog log, long hint, Prealloc op) {
    try {
      return doSet(start, end, bits, exclusive, log, hint, op);
    } finally {
      lastLeaf = cl;
      mergeSparseLeaves();
      endWrite();
    }
  }

  private long doSet(long start, long end, int bits, int exclusive, @Nullable RangeLog log, long hint,
      Prealloc op) {
    int store = bits & ~CTL_BITS;
    seek(start, hint);
    while (true) {
      if (cl == 0 || cStart() > end) {
        return insertHole(start, end, bits, store, log, op) ? DONE : start;
      }
      long s = cStart();
      long e = cEnd();
      if (s > start) {
        if (!insertHole(start, s - 1, bits, store, log, op)) {
          return start;
        }
        start = s;
        if (cEnd() < start) {
          step();
        }
        continue;
      }
      int old = cBits();
      if ((old & exclusive) != 0) {
        failedStart = start;
        return CONFLICT;
      }
      boolean hasAll = (old & bits) == bits;
      boolean split = false;
      if (s < start) {
        if (hasAll) {
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          step();
          continue;
        }
        if (!splitAt(start, true, op)) {
          return start;
        }
        split = true;
      }
      if (e > end) {
        if (hasAll && (old & NO_MERGE_BITS) == 0) {
          return DONE;
        }
        if (!splitAt(end + 1, false, op)) {
          return start;
        }
        setStateBits(bits, store, log);
        mergeHere();
        return DONE;
      }
      if (setStateBits(bits, store, log) || split) {
        mergeHere();
      }
      if (e >= end) {
        return DONE;
      }
      start = e + 1;
      if (cEnd() < start) {
        step();
      }
    }
  }

  @Override
  public long clear(long start, long end, int bits, @Nullable RangeLog log, long hint, Prealloc op) {
    try {
      return doClear(start, end, bits, log, hint, op);
    } finally {
      lastLeaf = cl;
      mergeSparseLeaves();
      endWrite();
    }
  }

  private long doClear(long start, long end, int bits, @Nullable RangeLog log, long hint, Prealloc op) {
    seek(start, hint);
    while (cl != 0) {
      long s = cStart();
      if (s > end) {
        break;
      }
      long e = cEnd();
      if ((cBits() & bits) == 0) {
        if (e >= end) {
          break;
        }
        start = e + 1;
        step();
        continue;
      }
      if (s < start && !splitAt(start, true, op)) {
        return start;
      }
      if (e > end) {
        if (!splitAt(end + 1, false, op)) {
          return start;
        }
        clearStateBits(bits, log);
        return DONE;
      }
      // A neighbour merged into the state had none of the bits, so skipping past it is right.
      clearStateBits(bits, log);
      if (e >= end) {
        break;
      }
      start = e + 1;
    }
    return DONE;
  }

  @Override
  public long convert(long start, long end, int bits, int clearBits, long hint, Prealloc op) {
    try {
      return doConvert(start, end, bits, clearBits, hint, op);
    } finally {
      lastLeaf = cl;
      mergeSparseLeaves();
      endWrite();
    }
  }

  private long doConvert(long start, long end, int bits, int clearBits, long hint, Prealloc op) {
    int store = bits & ~CTL_BITS;
    seek(start, hint);
    while (true) {
      if (cl == 0 || cStart() > end) {
        return insertHole(start, end, bits, store, null, op) ? DONE : start;
      }
      long s = cStart();
      long e = cEnd();
      if (s > start) {
        if (!insertHole(start, s - 1, bits, store, null, op)) {
          return start;
        }
        start = s;
        if (cEnd() < start) {
          step();
        }
        continue;
      }
      int old = cBits();
      // btrfs always splits here; skipping is invisible only for a state that would merge right back.
      boolean skip = (old & bits) == bits && (old & clearBits) == 0 && (old & NO_MERGE_BITS) == 0;
      if (s < start) {
        if (skip) {
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          step();
          continue;
        }
        if (!splitAt(start, true, op)) {
          return start;
        }
      }
      if (e > end) {
        if (skip) {
          return DONE;
        }
        if (!splitAt(end + 1, false, op)) {
          return start;
        }
        convertState(bits, store, clearBits);
        return DONE;
      }
      convertState(bits, store, clearBits);
      if (e >= end) {
        return DONE;
      }
      start = e + 1;
      // A merged-in neighbour is already converted; holes after it are not, so resume past it exactly.
      if (cEnd() < start) {
        step();
      }
    }
  }

  /** Sets bits on the current state; returns whether its stored bits changed. Hooks see any missing bit. */
  private boolean setStateBits(int bits, int store, @Nullable RangeLog log) {
    int old = cBits();
    if ((old & bits) == bits) {
      return false;
    }
    if (hooked) {
      hooks.onSet(cStart(), cEnd(), old, bits);
    }
    if ((old & store) == store) {
      return false; // only control bits were missing: the hooks saw them, nothing is stored
    }
    if (log != null) {
      log.record(cStart(), cEnd());
    }
    beginWrite();
    lay.setBits(cl, ci, old | store);
    return true;
  }

  /** Clears bits of the current state, which has some of them; leaves the cursor on the state after it. */
  private void clearStateBits(int bits, @Nullable RangeLog log) {
    long s = cStart();
    long e = cEnd();
    int old = cBits();
    if (hooked) {
      hooks.onClear(s, e, old, bits);
    }
    if (log != null) {
      log.record(s, e);
    }
    int now = old & ~bits;
    int lockCleared = old & bits & LOCK_BITS;
    if (lockCleared != 0 && !waiters.isEmpty()) {
      waiters.wake(s, e, lockCleared);
    }
    if (now == 0) {
      removeHere();
      return;
    }
    beginWrite();
    lay.setBits(cl, ci, now);
    mergeHere();
    step();
  }

  private void convertState(int bits, int store, int clearBits) {
    setStateBits(bits, store, null);
    int old = cBits();
    if ((old & clearBits) != 0) {
      if (hooked) {
        hooks.onClear(cStart(), cEnd(), old, clearBits);
      }
      beginWrite();
      lay.setBits(cl, ci, old & ~clearBits); // never empty: the bits just set are disjoint from clearBits
    }
    mergeHere();
  }

  // ---------------------------------------------------------------- split, merge, insert, remove

  /** Fills the hole {@code [s, e]} with a new state and merges it; the cursor ends on the survivor. */
  private boolean insertHole(long s, long e, int bits, int store, @Nullable RangeLog log, Prealloc op) {
    if (!prepareInsert(s, op)) {
      return false;
    }
    if (hooked) {
      hooks.onSet(s, e, 0, bits);
    }
    if (log != null) {
      log.record(s, e);
    }
    commitInsert(s, e, store);
    mergeHere();
    return true;
  }

  /**
   * Splits the current state {@code [s, e]} at {@code at} (btrfs {@code split_state}): it keeps
   * {@code [s, at - 1]} and a new state takes {@code [at, e]}; the cursor ends on the right piece if
   * {@code right}, else on the left one.
   */
  private boolean splitAt(long at, boolean right, Prealloc op) {
    if (!prepareInsert(at, op)) {
      return false;
    }
    long s = cStart();
    long e = cEnd();
    int b = cBits();
    if (hooked) {
      hooks.onSplit(s, e, b, at);
    }
    beginWrite();
    lay.setEnd(cl, ci, at - 1);
    commitInsert(at, e, b);
    if (!right) {
      stepBack();
    }
    return true;
  }

  /**
   * Merges the current state with equal-bit neighbours unless it has a no-merge bit (btrfs
   * {@code merge_state}); the left state of each pair survives, and the cursor ends on the survivor.
   */
  private void mergeHere() {
    int b = cBits();
    if ((b & NO_MERGE_BITS) != 0) {
      return;
    }
    long pl = cl;
    int pi = ci - 1;
    if (pi < 0) {
      pl = lay.prev(cl);
      pi = pl == 0 ? 0 : lay.count(pl) - 1;
    }
    if (pl != 0 && lay.bits(pl, pi) == b && lay.end(pl, pi) + 1 == cStart()) {
      long he = cEnd();
      if (hooked) {
        hooks.onMerge(cStart(), he, lay.start(pl, pi), lay.end(pl, pi), b);
      }
      removeHere(); // leaves the previous state where it was
      beginWrite();
      lay.setEnd(pl, pi, he);
      cl = pl;
      ci = pi;
    }
    long nl = cl;
    int ni = ci + 1;
    if (ni >= lay.count(cl)) {
      nl = lay.next(cl);
      ni = 0;
    }
    if (nl != 0 && lay.bits(nl, ni) == b && lay.start(nl, ni) == cEnd() + 1) {
      long ne = lay.end(nl, ni);
      if (hooked) {
        hooks.onMerge(cStart(), cEnd(), lay.start(nl, ni), ne, b);
      }
      long keepL = cl;
      int keepI = ci;
      cl = nl;
      ci = ni;
      removeHere(); // the state before it stays where it was
      cl = keepL;
      ci = keepI;
      beginWrite();
      lay.setEnd(cl, ci, ne);
    }
  }

  /**
   * Finds where a state starting at {@code s} goes and takes the nodes its insertion needs (0 if the leaf
   * has room), without waiting; false (having given back what it took) if some are missing.
   */
  private boolean prepareInsert(long s, Prealloc op) {
    freshCount = 0;
    freshUsed = 0;
    insShift = 0;
    if (cl != 0) {
      // Fast path, no descent: s falls strictly between two states of the cursor's leaf (the cursor's state
      // and the one before it, or the one after it), so the leaf's separators already admit it.
      int n = lay.count(cl);
      if (n < lay.leafCap) {
        long cs = cStart();
        if (cs > s && ci > 0) {
          insLeaf = cl;
          insIdx = ci;
          return true;
        }
        if (cs < s && ci + 1 < n) {
          insLeaf = cl;
          insIdx = ci + 1;
          return true;
        }
      }
    }
    int k;
    if (root == 0) {
      insLeaf = 0;
      k = 1;
    } else {
      long leaf = descend(s);
      insLeaf = leaf;
      insIdx = lay.floor(lay.seg(leaf), lay.base(leaf), lay.count(leaf), s) + 1;
      if (lay.count(leaf) < lay.leafCap) {
        return true;
      }
      if (height > 1) {
        // B*-style: a full leaf first hands entries to a sibling under the same parent with room for two
        // more, which needs no node and keeps leaves fuller under random churn than halving splits do.
        long p = pathNode[height - 2];
        int pi = pathIdx[height - 2];
        if (pi + 1 < lay.count(p) && lay.count(lay.kid(p, pi + 1)) <= lay.leafCap - 2) {
          insShift = 1;
          return true;
        }
        if (pi > 0 && lay.count(lay.kid(p, pi - 1)) <= lay.leafCap - 2) {
          insShift = -1;
          return true;
        }
      }
      k = 1;
      int l = height - 2;
      while (l >= 0 && lay.count(pathNode[l]) == lay.fanout) {
        k++;
        l--;
      }
      if (l < 0) {
        k++; // a new root
      }
    }
    for (int j = 0; j < k; j++) {
      long h = alloc.take(op);
      if (h == 0) {
        while (j > 0) {
          lay.forget();
          alloc.free(fresh[--j]);
        }
        needed = k;
        return false;
      }
      fresh[j] = h;
    }
    freshCount = k;
    return true;
  }

  private long freshNode() {
    if (freshUsed >= freshCount) {
      throw new IllegalStateException("BUG: a B+tree split needs more nodes than were prepared");
    }
    long h = fresh[freshUsed];
    fresh[freshUsed++] = 0;
    lay.versions.fresh(h);
    return h;
  }

  /**
   * Counts a node free in the removal epoch that position hints check. Under an odd structure version, so
   * that an optimistic reader that validates read the epoch of the leaf it found (see findFirst).
   */
  private void bumpRemovals() {
    lay.versions.structural();
    removals++;
  }

  /** Frees a node of the tree; the structure version is odd first, so no reader trusts it afterwards. */
  private void freeNode(long h) {
    lay.versions.structural();
    lay.forget();
    alloc.free(h);
  }

  /** Inserts the prepared state; the cursor ends on it. */
  private void commitInsert(long s, long e, int b) {
    beginWrite();
    size++;
    if (insLeaf == 0) {
      long leaf = freshNode();
      lay.setCount(leaf, 1);
      lay.setPrev(leaf, 0);
      lay.setNext(leaf, 0);
      lay.setEntry(leaf, 0, s, e, b);
      lay.versions.structural();
      root = leaf;
      height = 1;
      cl = leaf;
      ci = 0;
      return;
    }
    long leaf = insLeaf;
    int idx = insIdx;
    int n = lay.count(leaf);
    if (insShift != 0) {
      shiftToSibling(leaf, idx, insShift > 0);
      leaf = insLeaf;
      idx = insIdx;
      n = lay.count(leaf);
    }
    if (n < lay.leafCap) {
      lay.moveEntries(leaf, idx, leaf, idx + 1, n - idx);
      lay.setEntry(leaf, idx, s, e, b);
      lay.setCount(leaf, n + 1);
      cl = leaf;
      ci = idx;
      return;
    }
    long r = freshNode();
    long nx = lay.next(leaf);
    // Appending past the last state keeps the left leaf full (sequential fills); otherwise halve.
    int leftN = idx == n && nx == 0 ? n : (n + 2) / 2;
    if (idx < leftN) {
      lay.moveEntries(leaf, leftN - 1, r, 0, n - leftN + 1);
      lay.moveEntries(leaf, idx, leaf, idx + 1, leftN - 1 - idx);
      lay.setEntry(leaf, idx, s, e, b);
      cl = leaf;
      ci = idx;
    } else {
      int ri = idx - leftN;
      lay.moveEntries(leaf, idx, r, ri + 1, n - idx);
      lay.moveEntries(leaf, leftN, r, 0, ri);
      lay.setEntry(r, ri, s, e, b);
      cl = r;
      ci = ri;
    }
    lay.setCount(leaf, leftN);
    lay.setCount(r, n + 1 - leftN);
    lay.setPrev(r, leaf);
    lay.setNext(r, nx);
    lay.setNext(leaf, r);
    if (nx != 0) {
      lay.setPrev(nx, r);
    }
    insertIntoParent(height - 2, leaf, lay.start(r, 0), r);
  }

  /**
   * Moves entries of the full {@code leaf} to its sibling under the same parent (the next one if
   * {@code right}, else the previous one), which has room for two more, so that both have room; updates
   * the separator between them and points {@code insLeaf}/{@code insIdx} at where the state prepared for
   * insertion at {@code idx} now goes. Starts never change, so no other separator is affected.
   */
  private void shiftToSibling(long leaf, int idx, boolean right) {
    long p = pathNode[height - 2];
    int pi = pathIdx[height - 2];
    int n = lay.count(leaf);
    if (right) {
      long r = lay.kid(p, pi + 1);
      int m = lay.count(r);
      int t = (n - m) / 2; // >= 1; afterwards both have room
      lay.moveEntries(r, 0, r, t, m);
      lay.moveEntries(leaf, n - t, r, 0, t);
      lay.setCount(r, m + t);
      lay.setCount(leaf, n - t);
      lay.setKey(p, pi, lay.start(r, 0));
      if (idx > n - t) { // after the first moved state: it goes to the right leaf
        insLeaf = r;
        insIdx = idx - (n - t);
      }
    } else {
      long l = lay.kid(p, pi - 1);
      int m = lay.count(l);
      int t = (n - m) / 2;
      lay.moveEntries(leaf, 0, l, m, t);
      lay.moveEntries(leaf, t, leaf, 0, n - t);
      lay.setCount(l, m + t);
      lay.setCount(leaf, n - t);
      lay.setKey(p, pi - 1, lay.start(leaf, 0));
      if (idx <= t) { // before the new separator: it goes to the left leaf, after the moved states
        insLeaf = l;
        insIdx = m + idx;
      } else {
        insIdx = idx - t;
      }
    }
  }

  /** Links {@code right} after {@code left} with separator {@code key} at {@code level} of the path. */
  private void insertIntoParent(int level, long left, long key, long right) {
    int l = level;
    while (true) {
      if (l < 0) {
        long nr = freshNode();
        lay.setCount(nr, 2);
        lay.setKid(nr, 0, left);
        lay.setKid(nr, 1, right);
        lay.setKey(nr, 0, key);
        lay.versions.structural();
        root = nr;
        height++;
        return;
      }
      long p = pathNode[l];
      int pi = pathIdx[l];
      int pn = lay.count(p);
      if (pn < lay.fanout) {
        lay.moveKeys(p, pi, p, pi + 1, pn - 1 - pi);
        lay.setKey(p, pi, key);
        lay.moveKids(p, pi + 1, p, pi + 2, pn - 1 - pi);
        lay.setKid(p, pi + 1, right);
        lay.setCount(p, pn + 1);
        return;
      }
      // Split the full inner node: pn + 1 children, pn keys, with the new pair in place.
      for (int j = 0; j <= pn; j++) {
        tmpKids[j] = j <= pi ? lay.kid(p, j) : j == pi + 1 ? right : lay.kid(p, j - 1);
      }
      for (int j = 0; j < pn; j++) {
        tmpKeys[j] = j < pi ? lay.key(p, j) : j == pi ? key : lay.key(p, j - 1);
      }
      int total = pn + 1;
      int leftK = pi == pn - 1 ? pn : (total + 1) / 2;
      long q = freshNode();
      for (int i = 0; i < leftK; i++) {
        lay.setKid(p, i, tmpKids[i]);
      }
      for (int i = 0; i < leftK - 1; i++) {
        lay.setKey(p, i, tmpKeys[i]);
      }
      for (int i = leftK; i < total; i++) {
        lay.setKid(q, i - leftK, tmpKids[i]);
      }
      for (int i = leftK; i < total - 1; i++) {
        lay.setKey(q, i - leftK, tmpKeys[i]);
      }
      lay.setCount(p, leftK);
      lay.setCount(q, total - leftK);
      left = p;
      key = tmpKeys[leftK - 1];
      right = q;
      l--;
    }
  }

  /** Removes the current state; the cursor ends on the state after it (leaf 0 if none). */
  private void removeHere() {
    beginWrite();
    size--;
    long leaf = cl;
    int i = ci;
    int n = lay.count(leaf);
    if (n > 1) {
      lay.moveEntries(leaf, i + 1, leaf, i, n - 1 - i);
      lay.setCount(leaf, n - 1);
      if (n - 1 <= lay.leafCap / 4) {
        noteSparse(lay.start(leaf, 0));
      }
      if (i >= n - 1) {
        cl = lay.next(leaf);
        ci = 0;
      }
      return;
    }
    if (height == 1) {
      // The root leaf stays, empty: the next insertion needs no node, and hints to it stay valid.
      lay.setCount(leaf, 0);
      cl = 0;
      ci = 0;
      return;
    }
    descend(lay.start(leaf, 0));
    long nx = lay.next(leaf);
    long pv = lay.prev(leaf);
    if (pv != 0) {
      lay.setNext(pv, nx);
    }
    if (nx != 0) {
      lay.setPrev(nx, pv);
    }
    lay.setCount(leaf, 0);
    removeFromParent(height - 2);
    bumpRemovals(); // the leaf may be reused as any node: hints taken before are void
    freeNode(leaf);
    cl = nx;
    ci = 0;
  }

  private void noteSparse(long key) {
    for (int i = 0; i < sparseCount; i++) {
      if (sparse[i] == key) {
        return;
      }
    }
    if (sparseCount < sparse.length) {
      sparse[sparseCount++] = key;
    } else {
      sparse[sparse.length - 1] = key;
    }
  }

  /**
   * Merges each leaf a removal left at most a quarter full into a sibling under the same parent when both
   * fit in three quarters of a leaf, so that memory follows the number of states rather than their peak.
   * Runs when the step's cursor is no longer needed; frees a node and never needs one. Siblings only: the
   * separator between them is a key of their common parent, which the removal of the right one drops.
   */
  private void mergeSparseLeaves() {
    int limit = lay.leafCap * 3 / 4;
    for (int k = 0; k < sparseCount; k++) {
      long key = sparse[k];
      if (root == 0 || height < 2) {
        break;
      }
      long leaf = descend(key);
      int n = lay.count(leaf);
      if (n > lay.leafCap / 4 || n == 0) {
        continue;
      }
      long parent = pathNode[height - 2];
      int pi = pathIdx[height - 2];
      int pn = lay.count(parent);
      long left;
      long right;
      if (pi + 1 < pn) {
        left = leaf;
        right = lay.kid(parent, pi + 1);
        pathIdx[height - 2] = pi + 1;
      } else if (pi > 0) {
        left = lay.kid(parent, pi - 1);
        right = leaf;
      } else {
        continue;
      }
      int ln = lay.count(left);
      int rn = lay.count(right);
      if (ln + rn > limit) {
        continue;
      }
      beginWrite();
      lay.moveEntries(right, 0, left, ln, rn);
      lay.setCount(left, ln + rn);
      long nx = lay.next(right);
      lay.setNext(left, nx);
      if (nx != 0) {
        lay.setPrev(nx, left);
      }
      lay.setCount(right, 0);
      removeFromParent(height - 2);
      bumpRemovals();
      if (lastLeaf == right) {
        lastLeaf = left; // the hint must never name a freed node
      }
      freeNode(right);
    }
    sparseCount = 0;
  }

  /** Removes the child taken at {@code level} of the path, and every node that leaves empty. */
  private void removeFromParent(int level) {
    int l = level;
    while (true) {
      if (l < 0) {
        lay.versions.structural();
        root = 0;
        height = 0;
        return;
      }
      long p = pathNode[l];
      int pi = pathIdx[l];
      int pn = lay.count(p);
      if (pn > 1) {
        int ki = pi == 0 ? 0 : pi - 1;
        lay.moveKeys(p, ki + 1, p, ki, pn - 2 - ki);
        lay.moveKids(p, pi + 1, p, pi, pn - 1 - pi);
        lay.setCount(p, pn - 1);
        break;
      }
      lay.setCount(p, 0);
      bumpRemovals();
      freeNode(p);
      l--;
    }
    while (height > 1 && lay.count(root) == 1) {
      long old = root;
      lay.versions.structural();
      root = lay.kid(old, 0);
      height--;
      lay.setCount(old, 0);
      bumpRemovals();
      freeNode(old);
    }
  }

  /** Descends to the leaf whose key range holds {@code key}, recording the path. */
  private long descend(long key) {
    long n = root;
    for (int l = 0; l < height - 1; l++) {
      pathNode[l] = n;
      MemorySegment m = lay.seg(n); // resolve the handle once per level
      long o = lay.base(n);
      int i = lay.childFor(m, o, m.get(JAVA_INT_UNALIGNED, o + NodeLayout.COUNT), key);
      pathIdx[l] = i;
      n = m.get(JAVA_LONG_UNALIGNED, o + lay.kids + 8L * i);
    }
    pathNode[height - 1] = n;
    return n;
  }

  // ---------------------------------------------------------------- the writer's cursor

  /**
   * Puts the cursor on the first state whose end is at or after {@code off} (btrfs's tree_search),
   * starting from the hinted leaf when it covers {@code off} or ends right before it.
   */
  private void seek(long off, long hint) {
    if (hint != 0 && root != 0) {
      int n = lay.count(hint);
      if (n > 0) {
        long last = lay.end(hint, n - 1);
        if (lay.start(hint, 0) <= off && off <= last) {
          int i = lay.floor(lay.seg(hint), lay.base(hint), n, off);
          cl = hint;
          ci = lay.end(hint, i) >= off ? i : i + 1;
          return;
        }
        if (last != Long.MAX_VALUE && last + 1 == off) {
          cl = lay.next(hint);
          ci = 0;
          return;
        }
      }
    }
    seek(off);
  }

  /** Puts the cursor on the first state whose end is at or after {@code off} (btrfs's tree_search). */
  private void seek(long off) {
    if (root == 0) {
      cl = 0;
      return;
    }
    long leaf = descend(off);
    int n = lay.count(leaf);
    if (n == 0) { // the empty root leaf
      cl = 0;
      return;
    }
    int i = lay.floor(lay.seg(leaf), lay.base(leaf), n, off);
    if (i < 0) {
      long p = lay.prev(leaf);
      if (p != 0) {
        int pc = lay.count(p);
        if (lay.end(p, pc - 1) >= off) {
          cl = p;
          ci = pc - 1;
          return;
        }
      }
      cl = leaf;
      ci = 0;
      return;
    }
    cl = leaf;
    ci = i;
    if (lay.end(leaf, i) < off) {
      step();
    }
  }

  private void step() {
    if (++ci >= lay.count(cl)) {
      cl = lay.next(cl);
      ci = 0;
    }
  }

  private void stepBack() {
    if (--ci < 0) {
      cl = lay.prev(cl);
      ci = lay.count(cl) - 1;
    }
  }

  private long cStart() {
    return lay.start(cl, ci);
  }

  private long cEnd() {
    return lay.end(cl, ci);
  }

  private int cBits() {
    return lay.bits(cl, ci);
  }

  // ---------------------------------------------------------------- StateStore: counters and queries

  @Override
  public int needed() {
    return needed;
  }

  @Override
  public long failedStart() {
    return failedStart;
  }

  @Override
  public long removals() {
    return removals;
  }

  /**
   * Returns the leaf the previous change ended in: the position hint. A leaf handle stays a leaf of this
   * tree while no node is freed, which {@link #removals()} counts; a hint is used only if the leaf covers
   * the offset or ends right before it.
   */
  @Override
  public long lastState() {
    return lastLeaf;
  }

  @Override
  public long size() {
    return size;
  }

  /**
   * Returns the tree height (0 when empty, 1 when the root is a leaf).
   *
   * @return the height
   */
  public int height() {
    return height;
  }

  @Override
  public long resultStart() {
    return own.resultStart;
  }

  @Override
  public long resultEnd() {
    return own.resultEnd;
  }

  @Override
  public int resultBits() {
    return own.resultBits;
  }

  @Override
  public boolean lookupAt(long off) {
    return reads.stateAt(own, off, NodeReads.LOCKED);
  }

  @Override
  public boolean firstWith(long from, int bits, long hint) {
    return reads.firstWith(own, from, bits, NodeReads.LOCKED);
  }

  @Override
  public boolean contiguousWith(long from, int bits) {
    return reads.contiguousWith(own, from, bits, NodeReads.LOCKED);
  }

  @Override
  public boolean runWith(long from, int bit, int boundary, long maxBytes) {
    return reads.runWith(own, from, bit, boundary, maxBytes, NodeReads.LOCKED);
  }

  @Override
  public boolean findFirstClear(long from, int bits) {
    return reads.findFirstClear(own, from, bits, NodeReads.LOCKED);
  }

  @Override
  public boolean hasAll(long start, long end, int bits, long hint) {
    return reads.hasAll(own, start, end, bits, NodeReads.LOCKED);
  }

  @Override
  public boolean hasAny(long start, long end, int bits) {
    return reads.hasAny(own, start, end, bits, NodeReads.LOCKED);
  }

  @Override
  public int rangeBits(long start, long end) {
    return reads.rangeBits(own, start, end, NodeReads.LOCKED);
  }

  @Override
  public long count(long start, long searchEnd, long maxBytes, int bits, boolean contiguous, long hint) {
    return reads.count(own, start, searchEnd, maxBytes, bits, contiguous, NodeReads.LOCKED);
  }

  @Override
  public int forEach(long start, long end, ExtentVisitor visitor) {
    return reads.forEach(own, start, end, visitor);
  }

  @Override
  public long firstLacking(long start, long end, int bits, long hint) {
    return reads.firstLacking(own, start, end, bits);
  }

  @Override
  public long statesNeeded(long start, long end, int bits) {
    long states = reads.statesNeeded(own, start, end, bits);
    // Each new state may fill a leaf; a chain of splits costs at most height + 1 nodes.
    long perSplit = height + 1L;
    long leafSplits = (states + lay.leafCap / 2 - 1) / Math.max(1, lay.leafCap / 2);
    return Math.min(states, 1 + leafSplits) * perSplit;
  }

  @Override
  public long firstStartWithin(long start, long end, int bits) {
    return reads.firstStartWithin(own, start, end, bits);
  }

  @Override
  public long describeLocked(StringBuilder sb, int max) {
    return reads.describeLocked(own, sb, max);
  }

  @Override
  public @Nullable String verify() {
    return new NodeVerifier(this).verify(size);
  }

  @Override
  public void freeAll() {
    alloc.freeStash();
    freed = true;
    beginWrite();
    lay.versions.structural();
    try {
      if (root != 0) {
        freeSubtree(root, height);
      }
      root = 0;
      height = 0;
      size = 0;
      lastLeaf = 0;
      bumpRemovals();
    } finally {
      endWrite();
    }
  }

  private void freeSubtree(long n, int levels) {
    if (levels > 1) {
      int c = lay.count(n);
      for (int i = 0; i < c; i++) {
        freeSubtree(lay.kid(n, i), levels - 1);
      }
    }
    lay.setCount(n, 0);
    lay.forget();
    alloc.release(n);
  }

  // VarHandle mechanics
  private static final VarHandle VERSION;

  static {
    try {
      VERSION = MethodHandles.lookup().findVarHandle(NodeTree.class, "version", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
