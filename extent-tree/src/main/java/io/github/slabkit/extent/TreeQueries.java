package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;

import io.github.slabkit.extent.internal.NodeTree;
import io.github.slabkit.extent.internal.OpContext;
import io.github.slabkit.extent.internal.StateStore;
import org.jspecify.annotations.Nullable;

/**
 * The queries of one {@link ExtentTree} behind its facade: each takes the tree lock, checks the tree is
 * open, runs a query of the {@link StateStore} and fills the caller's reusable holders. Arguments are checked
 * by the facade. Queries never allocate and never wait for memory. A tree kept in a B+tree answers them
 * with optimistic readers instead ({@link NodeQueries}); iteration always takes the lock.
 */
final class TreeQueries {
  private final TreeCore core;
  private final StateStore states;
  private final @Nullable NodeQueries nodes;

  TreeQueries(TreeCore core) {
    this.core = core;
    this.states = core.states;
    NodeTree n = core.nodes;
    this.nodes = n == null ? null : new NodeQueries(core, n);
  }

  boolean stateAt(long offset, RangeResult out) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.stateAt(offset, out);
    }
    core.lockTree();
    try {
      core.checkOpen();
      return states.lookupAt(offset) ? out.set(states.resultStart(), states.resultEnd(), states.resultBits()) : out.none();
    } finally {
      core.lock.unlock();
    }
  }

  int bitsAt(long offset) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.bitsAt(offset);
    }
    core.lockTree();
    try {
      core.checkOpen();
      return states.lookupAt(offset) ? states.resultBits() : 0;
    } finally {
      core.lock.unlock();
    }
  }

  boolean findFirst(long from, int bits, RangeResult out, @Nullable CachedState cached) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.findFirst(from, bits, out, cached);
    }
    core.lockTree();
    try {
      core.checkOpen();
      if (!states.firstWith(from, bits, core.hint(cached))) {
        return out.none();
      }
      long h = states.lastState();
      if (h != 0) {
        core.rememberState(cached, h);
      }
      return out.set(states.resultStart(), states.resultEnd(), states.resultBits());
    } finally {
      core.lock.unlock();
    }
  }

  boolean findContiguous(long from, int bits, RangeResult out) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.findContiguous(from, bits, out);
    }
    core.lockTree();
    try {
      core.checkOpen();
      if (!states.contiguousWith(from, bits)) {
        return out.none();
      }
      return out.set(states.resultStart(), states.resultEnd(), states.resultBits());
    } finally {
      core.lock.unlock();
    }
  }

  boolean findDelallocRange(long from, long maxBytes, RangeResult out) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.findDelallocRange(from, maxBytes, out);
    }
    core.lockTree();
    try {
      core.checkOpen();
      // Nothing found: no DELALLOC byte from `from` on, so a caller may skip to the end (btrfs's (u64)-1).
      return states.runWith(from, DELALLOC, ExtentBits.BOUNDARY, maxBytes)
          ? out.set(states.resultStart(), states.resultEnd(), states.resultBits())
          : out.notFound(Long.MAX_VALUE);
    } finally {
      core.lock.unlock();
    }
  }

  boolean findFirstClear(long from, int bits, RangeResult out) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.findFirstClear(from, bits, out);
    }
    core.lockTree();
    try {
      core.checkOpen();
      if (!states.findFirstClear(from, bits)) {
        return out.none();
      }
      return out.set(states.resultStart(), states.resultEnd(), 0);
    } finally {
      core.lock.unlock();
    }
  }

  boolean rangeHasAll(long start, long end, int bits, @Nullable CachedState cached) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.rangeHasAll(start, end, bits);
    }
    core.lockTree();
    try {
      core.checkOpen();
      return states.hasAll(start, end, bits, core.hint(cached));
    } finally {
      core.lock.unlock();
    }
  }

  boolean rangeHasAny(long start, long end, int bits) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.rangeHasAny(start, end, bits);
    }
    core.lockTree();
    try {
      core.checkOpen();
      return states.hasAny(start, end, bits);
    } finally {
      core.lock.unlock();
    }
  }

  int rangeBits(long start, long end) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.rangeBits(start, end);
    }
    core.lockTree();
    try {
      core.checkOpen();
      return states.rangeBits(start, end);
    } finally {
      core.lock.unlock();
    }
  }

  long countBytes(long start, long searchEnd, long maxBytes, int bits, boolean contiguous,
      @Nullable RangeResult first, @Nullable CachedState cached) {
    NodeQueries n = nodes;
    if (n != null) {
      return n.countBytes(start, searchEnd, maxBytes, bits, contiguous, first, cached);
    }
    core.lockTree();
    try {
      core.checkOpen();
      long total = states.count(start, searchEnd, maxBytes, bits, contiguous, core.hint(cached));
      long h = states.lastState();
      if (h != 0) {
        core.rememberState(cached, h);
      }
      if (first != null) {
        long f = states.resultStart();
        if (f < 0) {
          first.none();
        } else {
          first.set(f, f, 0);
        }
      }
      return total;
    } finally {
      core.lock.unlock();
    }
  }

  int forEach(long start, long end, ExtentVisitor visitor) {
    OpContext ctx = core.queryContext(); // marks the visit: the visitor may query (see queryContext)
    core.lockTree();
    ctx.visiting++;
    try {
      core.checkOpen();
      return states.forEach(start, end, visitor);
    } finally {
      ctx.visiting--;
      core.lock.unlock();
    }
  }
}
