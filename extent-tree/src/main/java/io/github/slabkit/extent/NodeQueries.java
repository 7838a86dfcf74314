package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;

import io.github.slabkit.extent.internal.NodeReads;
import io.github.slabkit.extent.internal.NodeTree;
import io.github.slabkit.extent.internal.ReadCursor;
import org.jspecify.annotations.Nullable;

/**
 * The queries of a tree whose states live in a B+tree ({@link NodeTree}): optimistic readers. Each query
 * runs without the tree lock, recording the version of every node it reads, and keeps its result only if
 * none of them and the tree's structure version changed meanwhile ({@link NodeTree#validateNodes}), so a
 * writer only disturbs the readers of the nodes it changes; a query that reads more nodes than it can
 * record goes on with the tree-wide version ({@link NodeTree#validate}). It retries up to
 * {@value #OPTIMISTIC_TRIES} times (spinning longer after each, while a writer holds what it needs), then takes the tree
 * lock like {@link TreeQueries} does. A read that raced with a writer may have resolved a garbage handle or
 * touched a released slab and thrown: that attempt counts as failed, never reaches the caller. See
 * {@link NodeTree}'s "Memory ordering". A successful query allocates nothing.
 *
 * <p>Close sets the tree's closed flag and the B+tree's own ({@link NodeTree#isFreed}) before it frees the
 * nodes, so a reader that validates a read of the freed tree also sees the flag, checked after validation.
 */
final class NodeQueries {
  /** Optimistic attempts before a query takes the tree lock. */
  static final int OPTIMISTIC_TRIES = 8;

  private static final int STATE_AT = 0;
  private static final int FIRST_WITH = 1;
  private static final int CONTIGUOUS = 2;
  private static final int RUN = 3;
  private static final int FIRST_CLEAR = 4;
  private static final int HAS_ALL = 5;
  private static final int HAS_ANY = 6;
  private static final int RANGE_BITS = 7;
  private static final int COUNT = 8;

  private final TreeCore core;
  private final NodeTree tree;
  private final NodeReads reads;

  NodeQueries(TreeCore core, NodeTree tree) {
    this.core = core;
    this.tree = tree;
    this.reads = tree.reads();
  }

  boolean stateAt(long offset, RangeResult out) {
    ReadCursor c = cursor();
    return run(STATE_AT, c, offset, 0, 0, 0, 0, false) != 0 ? out.set(c.start(), c.end(), c.bits()) : out.none();
  }

  int bitsAt(long offset) {
    ReadCursor c = cursor();
    return run(STATE_AT, c, offset, 0, 0, 0, 0, false) != 0 ? c.bits() : 0;
  }

  boolean findFirst(long from, int bits, RangeResult out, @Nullable CachedState cached) {
    ReadCursor c = cursor();
    if (run(FIRST_WITH, c, from, 0, 0, bits, 0, false) == 0) {
      return out.none();
    }
    if (cached != null) { // the leaf and the epoch were read in one validated snapshot
      cached.owner = core;
      cached.handle = c.leaf();
      cached.epoch = c.epoch();
    }
    return out.set(c.start(), c.end(), c.bits());
  }

  boolean findContiguous(long from, int bits, RangeResult out) {
    ReadCursor c = cursor();
    return run(CONTIGUOUS, c, from, 0, 0, bits, 0, false) != 0 ? out.set(c.start(), c.end(), c.bits()) : out.none();
  }

  boolean findDelallocRange(long from, long maxBytes, RangeResult out) {
    ReadCursor c = cursor();
    // Nothing found: no DELALLOC byte from `from` on, so a caller may skip to the end (btrfs's (u64)-1).
    return run(RUN, c, from, 0, maxBytes, DELALLOC, ExtentBits.BOUNDARY, false) != 0
        ? out.set(c.start(), c.end(), c.bits())
        : out.notFound(Long.MAX_VALUE);
  }

  boolean findFirstClear(long from, int bits, RangeResult out) {
    ReadCursor c = cursor();
    return run(FIRST_CLEAR, c, from, 0, 0, bits, 0, false) != 0 ? out.set(c.start(), c.end(), 0) : out.none();
  }

  boolean rangeHasAll(long start, long end, int bits) {
    return run(HAS_ALL, cursor(), start, end, 0, bits, 0, false) != 0;
  }

  boolean rangeHasAny(long start, long end, int bits) {
    return run(HAS_ANY, cursor(), start, end, 0, bits, 0, false) != 0;
  }

  int rangeBits(long start, long end) {
    return (int) run(RANGE_BITS, cursor(), start, end, 0, 0, 0, false);
  }

  long countBytes(long start, long searchEnd, long maxBytes, int bits, boolean contiguous,
      @Nullable RangeResult first, @Nullable CachedState cached) {
    ReadCursor c = cursor();
    long total = run(COUNT, c, start, searchEnd, maxBytes, bits, 0, contiguous);
    if (first != null) {
      long f = c.start();
      if (f < 0) {
        first.none();
      } else {
        first.set(f, f, 0);
      }
    }
    return total;
  }

  private ReadCursor cursor() {
    ReadCursor c = core.queryContext().read;
    checkOpen();
    return c;
  }

  /**
   * Checks the tree is open through the B+tree's own flag, which sits on the readers' cache line; the
   * tree's flag is set first, so this sees the tree closed no later than the nodes are gone.
   */
  private void checkOpen() {
    if (tree.isFreed()) {
      core.checkOpen();
    }
  }

  /**
   * Runs query {@code q} optimistically, else under the lock; its range result is left in {@code c}. Reads
   * first validate per node, so a writer's step conflicts only with the reads of the nodes it changes; a
   * read that visits more nodes than it can record (a long scan) goes on with the tree-wide version.
   */
  private long run(int q, ReadCursor c, long a, long b, long x, int bits, int bits2, boolean flag) {
    boolean perNode = true;
    for (int i = 0; i < OPTIMISTIC_TRIES; i++) {
      long v;
      if (perNode) {
        if (!tree.beginNodes(c)) {
          backOff(i); // a writer changes the structure now
          continue;
        }
        v = NodeReads.NODES;
      } else {
        v = tree.beginRead();
        if ((v & 1) != 0) {
          backOff(i); // a writer is inside a step
          continue;
        }
      }
      long r;
      boolean valid;
      try {
        r = query(q, c, a, b, x, bits, bits2, flag, v);
        valid = perNode ? reads.validate(c) : tree.validate(v);
      } catch (RuntimeException raced) {
        // A garbage handle or a released slab, read while a writer changed the tree: a failed validation.
        continue;
      }
      if (valid) {
        checkOpen();
        return r;
      }
      if (perNode && c.overflowed()) {
        perNode = false;
      } else {
        backOff(i); // the writer holds a node the read needs: give it a moment to end its step
      }
    }
    core.lockTree();
    try {
      core.checkOpen();
      return query(q, c, a, b, x, bits, bits2, flag, NodeReads.LOCKED);
    } finally {
      core.lock.unlock();
    }
  }

  /**
   * Spins {@code 2^attempt} times: a step takes about a microsecond, so the attempts together wait some
   * microseconds for it to end before the query takes the lock (and, contended, allocates a lock node).
   */
  private static void backOff(int attempt) {
    for (int k = 1 << attempt; k > 0; k--) {
      Thread.onSpinWait();
    }
  }

  private long query(int q, ReadCursor c, long a, long b, long x, int bits, int bits2, boolean flag, long v) {
    return switch (q) {
      case STATE_AT -> reads.stateAt(c, a, v) ? 1 : 0;
      case FIRST_WITH -> reads.firstWith(c, a, bits, v) ? 1 : 0;
      case CONTIGUOUS -> reads.contiguousWith(c, a, bits, v) ? 1 : 0;
      case RUN -> reads.runWith(c, a, bits, bits2, x, v) ? 1 : 0;
      case FIRST_CLEAR -> reads.findFirstClear(c, a, bits, v) ? 1 : 0;
      case HAS_ALL -> reads.hasAll(c, a, b, bits, v) ? 1 : 0;
      case HAS_ANY -> reads.hasAny(c, a, b, bits, v) ? 1 : 0;
      case RANGE_BITS -> reads.rangeBits(c, a, b, v);
      case COUNT -> reads.count(c, a, b, x, bits, flag, v);
      default -> throw new IllegalArgumentException("query " + q);
    };
  }
}
