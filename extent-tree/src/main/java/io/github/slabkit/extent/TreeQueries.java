package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;

import io.github.slabkit.extent.internal.StateTree;
import org.jspecify.annotations.Nullable;

/**
 * The queries of one {@link ExtentTree} behind its facade: each takes the tree lock, checks the tree is
 * open, runs a query of {@link StateTree} and fills the caller's reusable holders. Arguments are checked
 * by the facade. Queries never allocate and never wait for memory.
 */
final class TreeQueries {
  private final TreeCore core;
  private final StateTree states;

  TreeQueries(TreeCore core) {
    this.core = core;
    this.states = core.states;
  }

  boolean stateAt(long offset, RangeResult out) {
    core.lockTree();
    try {
      core.checkOpen();
      long h = states.stateAt(offset);
      return h == 0 ? out.none() : out.set(states.resultStart(), states.resultEnd(), states.resultBits());
    } finally {
      core.lock.unlock();
    }
  }

  int bitsAt(long offset) {
    core.lockTree();
    try {
      core.checkOpen();
      return states.stateAt(offset) == 0 ? 0 : states.resultBits();
    } finally {
      core.lock.unlock();
    }
  }

  boolean findFirst(long from, int bits, RangeResult out, @Nullable CachedState cached) {
    core.lockTree();
    try {
      core.checkOpen();
      long h = states.findFirst(from, bits, core.hint(cached));
      if (h == 0) {
        return out.none();
      }
      core.rememberState(cached, h);
      return out.set(states.start(h), states.end(h), states.bits(h));
    } finally {
      core.lock.unlock();
    }
  }

  boolean findContiguous(long from, int bits, RangeResult out) {
    core.lockTree();
    try {
      core.checkOpen();
      long h = states.findFirst(from, bits, 0);
      if (h == 0) {
        return out.none();
      }
      return out.set(states.start(h), states.contiguousEnd(h, bits), states.bits(h));
    } finally {
      core.lock.unlock();
    }
  }

  boolean findDelallocRange(long from, long maxBytes, RangeResult out) {
    core.lockTree();
    try {
      core.checkOpen();
      long h = states.findRun(from, DELALLOC, ExtentBits.BOUNDARY, maxBytes);
      // Nothing found: no DELALLOC byte from `from` on, so a caller may skip to the end (btrfs's (u64)-1).
      return h == 0 ? out.notFound(Long.MAX_VALUE) : out.set(states.resultStart(), states.resultEnd(), states.bits(h));
    } finally {
      core.lock.unlock();
    }
  }

  boolean findFirstClear(long from, int bits, RangeResult out) {
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
    core.lockTree();
    try {
      core.checkOpen();
      return states.hasAll(start, end, bits, core.hint(cached));
    } finally {
      core.lock.unlock();
    }
  }

  boolean rangeHasAny(long start, long end, int bits) {
    core.lockTree();
    try {
      core.checkOpen();
      return states.hasAny(start, end, bits);
    } finally {
      core.lock.unlock();
    }
  }

  int rangeBits(long start, long end) {
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
    core.lockTree();
    try {
      core.checkOpen();
      return states.forEach(start, end, visitor);
    } finally {
      core.lock.unlock();
    }
  }
}
