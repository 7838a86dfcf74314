package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;
import static io.github.slabkit.extent.internal.StateLayout.BITS;
import static io.github.slabkit.extent.internal.StateLayout.END;
import static io.github.slabkit.extent.internal.StateLayout.START;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.ExtentVisitor;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * The read-only btrfs algorithms on the extent states (find, test, count, iterate) and the structural
 * check, between the red-black mechanics of {@link StateRbTree} and the changes of {@link StateTree}.
 *
 * <p>Not thread safe: every method is called under the owning tree's lock; every off-heap access is plain.
 */
public abstract class StateQueries extends StateRbTree implements StateStore {
  /** How many states were ever removed: the validity epoch of cached handles. */
  long removals;
  /** The last state the previous operation touched and that is still in the tree, or 0. */
  long lastState;
  /** Where the previous set met an exclusive bit. */
  long failedStart;

  StateQueries(ObjectAllocator memory) {
    super(memory);
  }

  // ---------------------------------------------------------------- results and counters

  /**
   * Returns the number of states.
   *
   * @return the count
   */
  @Override
  public long size() {
    return size;
  }

  /**
   * Returns how many states were ever removed from the tree: a cached handle taken when this value was
   * {@code r} is still a state of this tree while it is still {@code r}.
   *
   * @return the removal count
   */
  @Override
  public long removals() {
    return removals;
  }

  /**
   * Returns the last state the previous operation touched and that is still in the tree, or {@code 0}.
   *
   * @return a handle or 0
   */
  @Override
  public long lastState() {
    return lastState;
  }

  /**
   * Returns where the previous set met an exclusive bit.
   *
   * @return the offset
   */
  @Override
  public long failedStart() {
    return failedStart;
  }

  /**
   * Returns the start of the range found by the previous range query.
   *
   * @return the start
   */
  @Override
  public long resultStart() {
    return resultStart;
  }

  /**
   * Returns the end of the range found by the previous range query.
   *
   * @return the inclusive end
   */
  @Override
  public long resultEnd() {
    return resultEnd;
  }

  // ---------------------------------------------------------------- queries

  @Override
  public boolean lookupAt(long off) {
    return stateAt(off) != 0;
  }

  @Override
  public boolean firstWith(long from, int bits, long hint) {
    long h = findFirst(from, bits, hint);
    lastState = h;
    return h != 0 && result(h, end(h));
  }

  @Override
  public boolean contiguousWith(long from, int bits) {
    long h = findFirst(from, bits, 0);
    return h != 0 && result(h, contiguousEnd(h, bits));
  }

  @Override
  public boolean runWith(long from, int bit, int boundary, long maxBytes) {
    long h = findRun(from, bit, boundary, maxBytes);
    if (h == 0) {
      return false;
    }
    resultBits = bits(h);
    return true;
  }

  @Override
  public long firstStartWithin(long start, long end, int bits) {
    long h = firstWithin(start, end, bits);
    return h == 0 ? -1 : start(h);
  }

  private boolean result(long h, long end) {
    resultStart = start(h);
    resultEnd = end;
    resultBits = bits(h);
    return true;
  }

  /**
   * Returns the first state ending at or after {@code from} with any of {@code bits} (btrfs
   * {@code find_first_extent_bit_state}).
   *
   * @param from the offset
   * @param bits the bits
   * @param hint a cached state or 0
   * @return a handle or 0
   */
  public long findFirst(long from, int bits, long hint) {
    long h = lookup(from, hint);
    while (h != 0 && (bits(h) & bits) == 0) {
      h = next(h);
    }
    return h;
  }

  /**
   * Finds a delayed-allocation run (btrfs {@code find_delalloc_range}): the first state ending at or after
   * {@code from} that has {@code bit}, extended over the adjacent states that have it, stopping before a
   * state with {@code boundary} and once the run holds {@code maxBytes} or more. Puts the run in
   * {@link #resultStart()} / {@link #resultEnd()}.
   *
   * @param from the offset
   * @param bit the bits that make a state part of the run (any of them)
   * @param boundary bits that start a new run
   * @param maxBytes the size at which to stop
   * @return the first state of the run, or 0
   */
  public long findRun(long from, int bit, int boundary, long maxBytes) {
    long h = findFirst(from, bit, 0);
    if (h == 0) {
      return 0;
    }
    long start = start(h);
    long end = end(h);
    long total = end - start + 1;
    for (long n = next(h); n != 0 && total < maxBytes && end != Long.MAX_VALUE; n = next(n)) {
      int b = bits(n);
      if (start(n) != end + 1 || (b & bit) == 0 || (b & boundary) != 0) {
        break;
      }
      end = end(n);
      total += end - start(n) + 1;
    }
    resultStart = start;
    resultEnd = end;
    return h;
  }

  /**
   * Returns the end of the run of adjacent states, starting with {@code h}, that each have any of
   * {@code bits}.
   *
   * @param h the first state of the run
   * @param bits the bits
   * @return the inclusive end of the run
   */
  public long contiguousEnd(long h, int bits) {
    long end = end(h);
    for (long n = next(h); n != 0 && end != Long.MAX_VALUE && start(n) == end + 1; n = next(n)) {
      if ((bits(n) & bits) == 0) {
        break;
      }
      end = end(n);
    }
    return end;
  }

  /**
   * Finds the maximal run of bytes without any of {@code bits} (bytes in no state count as clear) that
   * contains {@code from} or is the first after it; puts it in {@link #resultStart()} /
   * {@link #resultEnd()} ({@link Long#MAX_VALUE} when it never ends).
   *
   * @param from the offset
   * @param bits the bits
   * @return false if no byte at or after {@code from} is clear
   */
  @Override
  public boolean findFirstClear(long from, int bits) {
    long h = search(from);
    while (h != 0 && start(h) <= from && (bits(h) & bits) != 0) {
      long e = end(h);
      if (e == Long.MAX_VALUE) {
        return false;
      }
      from = e + 1;
      h = next(h);
    }
    // from is clear: in a hole before h (or after every state), or in the state h that lacks the bits.
    long runStart;
    long p;
    if (h != 0 && start(h) <= from) {
      runStart = start(h);
      p = prev(h);
    } else {
      runStart = from;
      p = h != 0 ? prev(h) : last();
    }
    while (true) {
      if (p == 0) {
        runStart = 0;
        break;
      }
      if ((bits(p) & bits) != 0) {
        runStart = end(p) + 1;
        break;
      }
      runStart = start(p);
      p = prev(p);
    }
    long runEnd = Long.MAX_VALUE;
    for (long n = h; n != 0; n = next(n)) {
      if ((bits(n) & bits) != 0) {
        runEnd = start(n) - 1;
        break;
      }
    }
    resultStart = runStart;
    resultEnd = runEnd;
    return true;
  }

  long last() {
    long n = root;
    if (n == 0) {
      return 0;
    }
    for (long r = right(n); r != 0; r = right(n)) {
      n = r;
    }
    return n;
  }

  /**
   * Returns whether every byte of {@code [start, end]} is in a state having all of {@code bits} (btrfs
   * {@code test_range_bit}: holes fail).
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param hint a cached state or 0
   * @return true if all have them
   */
  @Override
  public boolean hasAll(long start, long end, int bits, long hint) {
    long h = lookup(start, hint);
    while (h != 0) {
      if (start(h) > start || (bits(h) & bits) != bits) {
        return false;
      }
      long e = end(h);
      if (e >= end) {
        return true;
      }
      start = e + 1;
      h = next(h);
    }
    return false;
  }

  /**
   * Returns whether any byte of {@code [start, end]} is in a state with any of {@code bits}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return true if some byte has one
   */
  @Override
  public boolean hasAny(long start, long end, int bits) {
    for (long h = search(start); h != 0 && start(h) <= end; h = next(h)) {
      if ((bits(h) & bits) != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the OR of the bits of every state overlapping {@code [start, end]}.
   *
   * @param start first offset
   * @param end last offset
   * @return the bits
   */
  @Override
  public int rangeBits(long start, long end) {
    int or = 0;
    for (long h = search(start); h != 0 && start(h) <= end; h = next(h)) {
      or |= bits(h);
    }
    return or;
  }

  /**
   * Counts the bytes of {@code [start, searchEnd]} in states with all of {@code bits} (btrfs
   * {@code count_range_bits}); stops once the count reaches {@code maxBytes}, both read as unsigned like
   * btrfs's {@code u64} (so {@code -1} means no limit; the last state counted may take the count past) and, if {@code contiguous}, at the first gap after the first byte found. The first byte
   * counted goes to {@link #resultStart()}.
   *
   * @param start first offset
   * @param searchEnd last offset
   * @param maxBytes the count at which to stop
   * @param bits the bits
   * @param contiguous whether to stop at the first gap
   * @param hint a cached state or 0
   * @return the byte count
   */
  @Override
  public long count(long start, long searchEnd, long maxBytes, int bits, boolean contiguous, long hint) {
    long total = 0;
    boolean found = false;
    long last = 0;
    resultStart = -1;
    lastState = 0;
    for (long h = lookup(start, hint); h != 0; h = next(h)) {
      long s = start(h);
      if (s > searchEnd) {
        break;
      }
      if (contiguous && found && s > last + 1) {
        break;
      }
      long e = end(h);
      lastState = h;
      if ((bits(h) & bits) == bits) {
        if (!found) {
          resultStart = Math.max(start, s);
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
    return total;
  }

  /**
   * Returns the first state in {@code [start, end]} with any of {@code bits}, or 0.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return a handle or 0
   */
  public long firstWithin(long start, long end, int bits) {
    for (long h = search(start); h != 0 && start(h) <= end; h = next(h)) {
      if ((bits(h) & bits) != 0) {
        return h;
      }
    }
    return 0;
  }

  /**
   * Visits the states overlapping {@code [start, end]} in order.
   *
   * @param start first offset
   * @param end last offset
   * @param visitor the visitor
   * @return the number of states visited
   */
  @Override
  public int forEach(long start, long end, ExtentVisitor visitor) {
    int n = 0;
    for (long h = search(start); h != 0; ) {
      MemorySegment s = mem.memory(h);
      long o = mem.offset(h);
      long hs = (long) START.get(s, o);
      if (hs > end) {
        break;
      }
      n++;
      if (!visitor.visit(hs, (long) END.get(s, o), (int) BITS.get(s, o))) {
        break;
      }
      h = next(h);
    }
    return n;
  }

  /**
   * Returns the first byte of {@code [start, end]} that lacks one of {@code bits} (in a hole or in a
   * state without all of them), or {@code -1} if every byte has them all.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param hint a cached state or 0
   * @return the offset, or -1
   */
  @Override
  public long firstLacking(long start, long end, int bits, long hint) {
    long h = lookup(start, hint);
    while (h != 0) {
      if (start(h) > start || (bits(h) & bits) != bits) {
        return start;
      }
      long e = end(h);
      if (e >= end) {
        return -1;
      }
      start = e + 1;
      h = next(h);
    }
    return start;
  }

  /**
   * Returns how many new states a set of {@code bits} on {@code [start, end]} would need at most now: one
   * per hole and one per split at either end.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the count
   */
  @Override
  public long statesNeeded(long start, long end, int bits) {
    long n = 0;
    long cur = start;
    for (long h = search(start); ; h = next(h)) {
      if (h == 0 || start(h) > end) {
        return n + 1;
      }
      long s = start(h);
      long e = end(h);
      int b = bits(h);
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

  // ---------------------------------------------------------------- checks

  /**
   * Appends the states carrying lock bits to {@code sb}, for error messages.
   *
   * @param sb the target
   * @param max the most to list
   * @return how many states carry lock bits
   */
  @Override
  public long describeLocked(StringBuilder sb, int max) {
    long n = 0;
    for (long h = first(); h != 0; h = next(h)) {
      int b = bits(h);
      if ((b & LOCK_BITS) == 0) {
        continue;
      }
      if (n < max) {
        sb.append(n == 0 ? "" : ", ")
            .append('[')
            .append(start(h))
            .append(", ")
            .append(end(h))
            .append("] ")
            .append(io.github.slabkit.extent.ExtentBits.toString(b));
      } else if (n == max) {
        sb.append(", ...");
      }
      n++;
    }
    return n;
  }

  /**
   * Checks every structural invariant: order and disjointness, parent links, red-black rules, no empty
   * state, no two adjacent mergeable states, the size. For tests; O(n).
   *
   * @return null if all hold, else a description of the first violation
   */
  @Override
  public @Nullable String verify() {
    if (red(root)) {
      return "root is red";
    }
    if (root != 0 && parent(root) != 0) {
      return "root has a parent";
    }
    long[] counter = new long[1];
    String bad = verifyNode(root, counter);
    if (bad != null) {
      return bad;
    }
    if (counter[0] != size) {
      return "size " + size + " but " + counter[0] + " nodes";
    }
    long prev = 0;
    for (long h = first(); h != 0; h = next(h)) {
      if (start(h) > end(h) || start(h) < 0) {
        return "bad range [" + start(h) + ", " + end(h) + "]";
      }
      if (bits(h) == 0) {
        return "empty state [" + start(h) + ", " + end(h) + "]";
      }
      if (prev != 0) {
        if (end(prev) >= start(h)) {
          return "overlap [" + start(prev) + ", " + end(prev) + "] [" + start(h) + ", " + end(h) + "]";
        }
        if (end(prev) + 1 == start(h) && bits(prev) == bits(h) && (bits(h) & NO_MERGE_BITS) == 0) {
          return "unmerged [" + start(prev) + ", " + end(prev) + "] [" + start(h) + ", " + end(h) + "]";
        }
      }
      prev = h;
    }
    return null;
  }
}
