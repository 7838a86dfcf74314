package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;
import static io.github.slabkit.extent.internal.StateLayout.BITS;
import static io.github.slabkit.extent.internal.StateLayout.END;
import static io.github.slabkit.extent.internal.StateLayout.START;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.ExtentHooks;
import io.github.slabkit.extent.ExtentVisitor;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * The extent states of one tree and the btrfs algorithms on them: an off-heap red-black tree of disjoint
 * inclusive ranges ordered by start, with split, merge, set, clear and convert as in btrfs's
 * {@code extent-io-tree.c}.
 *
 * <h2>Structure</h2>
 * Each node is one extent state of {@link StateLayout} (48 bytes) in the state allocator; the red-black
 * mechanics (search, order, insert and erase with their fix-ups) live in {@link StateRbTree}. Invariants:
 * states are disjoint and ordered; no state has zero bits; two adjacent states with equal bits carry a
 * {@link io.github.slabkit.extent.ExtentBits#NO_MERGE_BITS no-merge bit} (lock-bit states stay split, as
 * in btrfs).
 *
 * <h2>Resumable operations</h2>
 * {@link #set}, {@link #clear} and {@link #convert} draw new states from a {@link Prealloc} only. When they
 * need one and it is empty they stop at a consistent point and return the offset to resume from; the
 * caller drops the tree lock, refills, re-takes the lock and calls again from that offset (btrfs's
 * {@code search_again}). Each returns {@link #DONE} when finished, and {@link #set} returns
 * {@link #CONFLICT} when it meets an exclusive bit ({@link #failedStart()} then says where).
 *
 * <h2>Threading</h2>
 * Not thread safe: every method is called under the owning tree's lock, and every off-heap access is plain
 * (the lock's release/acquire pairs order them).
 */
public final class StateTree extends StateRbTree {
  /** Returned by a resumable operation that finished. */
  public static final long DONE = -1L;
  /** Returned by {@link #set} on an exclusive-bit conflict. */
  public static final long CONFLICT = -2L;


  private final ObjectAllocator pool;
  private final ExtentHooks hooks;
  private final boolean hooked;
  private final WaitQueue waiters;

  private long removals;
  private long lastState;
  private long failedStart;

  /**
   * Creates an empty tree.
   *
   * @param pool where freed states go when the operation's buffer is full
   * @param memory resolves handles to memory (the slab cache behind the pool)
   * @param hooks the accounting hooks
   * @param waiters the tree's wait queue, woken when lock bits are cleared
   */
  @SuppressWarnings("ReferenceEquality") // identity of the no-op singleton is what skips the calls
  public StateTree(ObjectAllocator pool, ObjectAllocator memory, ExtentHooks hooks, WaitQueue waiters) {
    super(memory);
    this.pool = pool;
    this.hooks = hooks;
    this.hooked = hooks != ExtentHooks.NONE;
    this.waiters = waiters;
  }

  // ---------------------------------------------------------------- results and counters

  /**
   * Returns the number of states.
   *
   * @return the count
   */
  public long size() {
    return size;
  }

  /**
   * Returns how many states were ever removed from the tree: a cached handle taken when this value was
   * {@code r} is still a state of this tree while it is still {@code r}.
   *
   * @return the removal count
   */
  public long removals() {
    return removals;
  }

  /**
   * Returns the last state the previous operation touched and that is still in the tree, or {@code 0}.
   *
   * @return a handle or 0
   */
  public long lastState() {
    return lastState;
  }

  /**
   * Returns where the previous {@link #set} met an exclusive bit.
   *
   * @return the offset
   */
  public long failedStart() {
    return failedStart;
  }

  /**
   * Returns the start of the range found by the previous range query.
   *
   * @return the start
   */
  public long resultStart() {
    return resultStart;
  }

  /**
   * Returns the end of the range found by the previous range query.
   *
   * @return the inclusive end
   */
  public long resultEnd() {
    return resultEnd;
  }

  // ---------------------------------------------------------------- set, clear, convert

  /**
   * Sets {@code bits} on {@code [start, end]} (btrfs {@code set_extent_bit}), failing on
   * {@code exclusive} bits already set.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits, control bits included (they reach the hooks only)
   * @param exclusive the exclusive bits: meeting a state with one of them returns {@link #CONFLICT}
   * @param log the changeset, or null
   * @param hint a cached state of this tree, or 0
   * @param pre the preallocated states
   * @return {@link #DONE}, {@link #CONFLICT}, or the offset to resume from after a refill
   */
  public long set(
      long start, long end, int bits, int exclusive, @Nullable RangeLog log, long hint, Prealloc pre) {
    lastState = 0;
    int store = bits & ~CTL_BITS;
    long state = lookup(start, hint);
    while (true) {
      if (state == 0 || start(state) > end) {
        if (pre.count == 0) {
          return start;
        }
        lastState = insertHole(start, end, bits, store, log, state, pre);
        return DONE;
      }
      long s = start(state);
      long e = end(state);
      if (s > start) {
        if (pre.count == 0) {
          return start;
        }
        long n = insertHole(start, s - 1, bits, store, log, state, pre);
        lastState = n;
        start = s;
        state = end(n) >= start ? n : next(n);
        continue;
      }
      int old = bits(state);
      if ((old & exclusive) != 0) {
        failedStart = start;
        return CONFLICT;
      }
      boolean noop = (old & store) == store;
      if (s < start) {
        if (noop) {
          lastState = state;
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          state = next(state);
          continue;
        }
        if (pre.count == 0) {
          return start;
        }
        split(state, start, pre);
      }
      if (e > end) {
        if (noop) {
          lastState = state;
          return DONE;
        }
        if (pre.count == 0) {
          return start;
        }
        long piece = split(state, end + 1, pre);
        setStateBits(piece, bits, store, log);
        mergeState(piece, pre);
        lastState = piece;
        return DONE;
      }
      if (setStateBits(state, bits, store, log)) {
        mergeState(state, pre);
      }
      lastState = state;
      if (e >= end) {
        return DONE;
      }
      start = e + 1;
      state = end(state) >= start ? state : next(state);
    }
  }

  /**
   * Clears {@code bits} on {@code [start, end]} (btrfs {@code clear_extent_bit}); states left without bits
   * are removed, clearing lock bits wakes the waiters of the ranges cleared.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits to clear, already expanded ({@code CLEAR_ALL_BITS}, {@code DELALLOC} implies
   *     {@code NORESERVE}); control bits reach the hooks only
   * @param log the changeset, or null
   * @param hint a cached state of this tree, or 0
   * @param pre the preallocated states
   * @return {@link #DONE} or the offset to resume from after a refill
   */
  public long clear(long start, long end, int bits, @Nullable RangeLog log, long hint, Prealloc pre) {
    lastState = 0;
    long state = lookup(start, hint);
    while (state != 0) {
      long s = start(state);
      if (s > end) {
        break;
      }
      long e = end(state);
      if ((bits(state) & bits) == 0) {
        if (e >= end) {
          break;
        }
        start = e + 1;
        state = next(state);
        continue;
      }
      if (s < start) {
        if (pre.count == 0) {
          return start;
        }
        split(state, start, pre);
      }
      if (e > end) {
        if (pre.count == 0) {
          return start;
        }
        long piece = split(state, end + 1, pre);
        clearStateBits(piece, bits, log, pre);
        return DONE;
      }
      // A neighbour merged into the state had none of the bits, so skipping past it is right.
      long next = clearStateBits(state, bits, log, pre);
      if (e >= end) {
        break;
      }
      start = e + 1;
      state = next;
    }
    return DONE;
  }

  /**
   * Sets {@code bits} and clears {@code clearBits} on {@code [start, end]} in one pass (btrfs
   * {@code convert_extent_bit}); holes receive {@code bits}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits to set, not empty, no lock bits
   * @param clearBits the bits to clear, no lock bits, disjoint from {@code bits}
   * @param hint a cached state of this tree, or 0
   * @param pre the preallocated states
   * @return {@link #DONE} or the offset to resume from after a refill
   */
  public long convert(long start, long end, int bits, int clearBits, long hint, Prealloc pre) {
    lastState = 0;
    int store = bits & ~CTL_BITS;
    long state = lookup(start, hint);
    while (true) {
      if (state == 0 || start(state) > end) {
        if (pre.count == 0) {
          return start;
        }
        lastState = insertHole(start, end, bits, store, null, state, pre);
        return DONE;
      }
      long s = start(state);
      long e = end(state);
      if (s > start) {
        if (pre.count == 0) {
          return start;
        }
        long n = insertHole(start, s - 1, bits, store, null, state, pre);
        lastState = n;
        start = s;
        state = end(n) >= start ? n : next(n);
        continue;
      }
      int old = bits(state);
      boolean noop = (old & store) == store && (old & clearBits) == 0;
      if (s < start) {
        if (noop) {
          lastState = state;
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          state = next(state);
          continue;
        }
        if (pre.count == 0) {
          return start;
        }
        split(state, start, pre);
      }
      if (e > end) {
        if (noop) {
          lastState = state;
          return DONE;
        }
        if (pre.count == 0) {
          return start;
        }
        long piece = split(state, end + 1, pre);
        convertState(piece, bits, store, clearBits, pre);
        return DONE;
      }
      convertState(state, bits, store, clearBits, pre);
      if (e >= end) {
        return DONE;
      }
      start = e + 1;
      // A merged-in neighbour is already converted; holes after it are not, so resume past it exactly.
      state = end(state) >= start ? state : next(state);
    }
  }

  private boolean setStateBits(long h, int bits, int store, @Nullable RangeLog log) {
    int old = bits(h);
    if ((old & store) == store) {
      return false;
    }
    if (hooked) {
      hooks.onSet(start(h), end(h), old, bits);
    }
    if (log != null) {
      log.record(start(h), end(h));
    }
    setBits(h, old | store);
    return true;
  }

  /** Clears bits of a state that has some of them; returns the state after it. */
  private long clearStateBits(long h, int bits, @Nullable RangeLog log, Prealloc pre) {
    long s = start(h);
    long e = end(h);
    int old = bits(h);
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
      long next = next(h);
      eraseAndFree(h, pre);
      return next;
    }
    setBits(h, now);
    mergeState(h, pre);
    lastState = h;
    return next(h);
  }

  private void convertState(long h, int bits, int store, int clearBits, Prealloc pre) {
    setStateBits(h, bits, store, null);
    int old = bits(h);
    if ((old & clearBits) != 0) {
      if (hooked) {
        hooks.onClear(start(h), end(h), old, clearBits);
      }
      setBits(h, old & ~clearBits); // never empty: the bits just set are disjoint from clearBits
    }
    mergeState(h, pre);
    lastState = h;
  }

  // ---------------------------------------------------------------- split, merge, insert, remove

  /**
   * Inserts a new state for the hole {@code [s, e]} right before {@code successor} (the first state after
   * the hole, or 0 if none), without a second search from the root, and merges it; returns the surviving
   * state.
   */
  private long insertHole(
      long s, long e, int bits, int store, @Nullable RangeLog log, long successor, Prealloc pre) {
    if (hooked) {
      hooks.onSet(s, e, 0, bits);
    }
    if (log != null) {
      log.record(s, e);
    }
    long n = pre.handles[--pre.count];
    setStart(n, s);
    setEnd(n, e);
    setBits(n, store);
    if (successor == 0) {
      long p = last();
      link(n, p, false);
    } else {
      long l = left(successor);
      if (l == 0) {
        link(n, successor, true);
      } else {
        for (long r = right(l); r != 0; r = right(l)) {
          l = r;
        }
        link(n, l, false);
      }
    }
    mergeState(n, pre);
    return n;
  }

  /**
   * Splits {@code orig} at {@code at}: a new state takes {@code [start, at - 1]}, {@code orig} keeps
   * {@code [at, end]} (btrfs {@code split_state}); returns the new state.
   */
  private long split(long orig, long at, Prealloc pre) {
    long s = start(orig);
    int b = bits(orig);
    if (hooked) {
      hooks.onSplit(s, end(orig), b, at);
    }
    long n = pre.handles[--pre.count];
    setStart(n, s);
    setEnd(n, at - 1);
    setBits(n, b);
    setStart(orig, at);
    long l = left(orig);
    if (l == 0) {
      link(n, orig, true);
    } else {
      for (long r = right(l); r != 0; r = right(l)) {
        l = r;
      }
      link(n, l, false);
    }
    return n;
  }

  /** Merges {@code h} with equal-bit neighbours unless it has a no-merge bit (btrfs {@code merge_state}). */
  private void mergeState(long h, Prealloc pre) {
    int b = bits(h);
    if ((b & NO_MERGE_BITS) != 0) {
      return;
    }
    long p = prev(h);
    if (p != 0 && bits(p) == b && end(p) + 1 == start(h)) {
      if (hooked) {
        hooks.onMerge(start(h), end(h), start(p), end(p), b);
      }
      setStart(h, start(p));
      eraseAndFree(p, pre);
    }
    long n = next(h);
    if (n != 0 && bits(n) == b && start(n) == end(h) + 1) {
      if (hooked) {
        hooks.onMerge(start(h), end(h), start(n), end(n), b);
      }
      setEnd(h, end(n));
      eraseAndFree(n, pre);
    }
  }

  private void eraseAndFree(long h, Prealloc pre) {
    erase(h);
    size--;
    removals++;
    if (h == lastState) {
      lastState = 0;
    }
    if (pre.count < Prealloc.CAPACITY) {
      pre.handles[pre.count++] = h;
    } else if (stashCount < STASH) {
      stash[stashCount++] = h;
    } else {
      pool.free(h);
    }
  }

  // ---------------------------------------------------------------- the stash of spare states

  /** Spare states kept between operations, at most {@value #STASH}; guarded by the tree lock. */
  static final int STASH = 2 * Prealloc.CAPACITY;

  private final long[] stash = new long[STASH];
  private int stashCount;

  /**
   * Moves spare states into {@code pre} until it is full or the stash is empty. Tree lock held.
   *
   * @param pre the operation's buffer
   * @return whether {@code pre} is full
   */
  public boolean fillFromStash(Prealloc pre) {
    while (pre.count < Prealloc.CAPACITY && stashCount > 0) {
      pre.handles[pre.count++] = stash[--stashCount];
      stash[stashCount] = 0;
    }
    return pre.count == Prealloc.CAPACITY;
  }

  /**
   * Keeps states {@code pre} did not use, as far as the stash has room. Tree lock held.
   *
   * @param pre the operation's buffer
   */
  public void stashFrom(Prealloc pre) {
    while (pre.count > 0 && stashCount < STASH) {
      stash[stashCount++] = pre.handles[--pre.count];
      pre.handles[pre.count] = 0;
    }
  }

  private void freeStash() {
    if (stashCount > 0) {
      pool.freeBulk(stash, stashCount);
      java.util.Arrays.fill(stash, 0, stashCount, 0L);
      stashCount = 0;
    }
  }

  // ---------------------------------------------------------------- queries

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

  private long last() {
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
  public int rangeBits(long start, long end) {
    int or = 0;
    for (long h = search(start); h != 0 && start(h) <= end; h = next(h)) {
      or |= bits(h);
    }
    return or;
  }

  /**
   * Counts the bytes of {@code [start, searchEnd]} in states with all of {@code bits} (btrfs
   * {@code count_range_bits}); stops once the count reaches {@code maxBytes} (the last state counted may
   * take it past) and, if {@code contiguous}, at the first gap after the first byte found. The first byte
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
        if (total >= maxBytes) {
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

  // ---------------------------------------------------------------- release and checks

  /**
   * Appends the states carrying lock bits to {@code sb}, for error messages.
   *
   * @param sb the target
   * @param max the most to list
   * @return how many states carry lock bits
   */
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

  /** Frees every state to the pool and empties the tree. */
  public void freeAll() {
    freeStash();
    long h = root;
    while (h != 0) {
      long l = left(h);
      if (l != 0) {
        setLeft(h, 0L);
        h = l;
        continue;
      }
      long r = right(h);
      if (r != 0) {
        setRight(h, 0L);
        h = r;
        continue;
      }
      long p = parent(h);
      pool.free(h);
      removals++;
      h = p;
    }
    root = 0;
    size = 0;
  }

  /**
   * Checks every structural invariant: order and disjointness, parent links, red-black rules, no empty
   * state, no two adjacent mergeable states, the size. For tests; O(n).
   *
   * @return null if all hold, else a description of the first violation
   */
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
