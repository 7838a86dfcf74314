package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.ExtentHooks;
import org.jspecify.annotations.Nullable;

/**
 * The extent states of one tree and the btrfs algorithms that change them: set, clear and convert with
 * split, merge, insert and remove, as in btrfs's {@code extent-io-tree.c}.
 *
 * <h2>Structure</h2>
 * Each node is one extent state of {@link StateLayout} (48 bytes) in the state allocator; the red-black
 * mechanics live in {@link StateRbTree}, the queries in {@link StateQueries}. Invariants: states are
 * disjoint and ordered; no state has zero bits; two adjacent states with equal bits carry a
 * {@link io.github.slabkit.extent.ExtentBits#NO_MERGE_BITS no-merge bit}.
 *
 * <h2>Resumable operations, lazy allocation</h2>
 * {@link #set}, {@link #clear} and {@link #convert} ask {@link StateAllocator#take} for a state only at
 * the point where they must split a state or fill a hole, and before they change anything there. When it
 * has none at hand they return the offset to resume from, with the tree consistent; the caller waits for a
 * state with the tree lock dropped ({@link StateAllocator#await}) and calls again from that offset (btrfs's
 * {@code search_again}). An operation that needs no new state (a clear of whole states, a set adding bits
 * to whole states) never asks. Each returns {@link #DONE} when finished, and {@link #set} returns
 * {@link #CONFLICT} when it meets an exclusive bit ({@link #failedStart()} then says where).
 *
 * <h2>Where the port splits like btrfs, and where it need not</h2>
 * A set skips a state that straddles its start and already has every requested bit, control bits
 * included (so a set carrying a control bit always reaches the hooks, as btrfs's does). At the end of the
 * range, and in a convert at either end, btrfs always splits; the port does the same for a state that can
 * never merge again (lock bits, {@code BOUNDARY}), where the split is visible, and skips the split of a
 * mergeable state that the operation would not change, because btrfs merges the two pieces right back:
 * the states are the same, only the hooks miss an {@code onSplit}/{@code onMerge} pair and no memory is
 * needed.
 *
 * <h2>Threading</h2>
 * Not thread safe: every method is called under the owning tree's lock, and every off-heap access is plain
 * (the lock's release/acquire pairs order them).
 */
public final class StateTree extends StateQueries implements StateStore {

  private final StateAllocator alloc;
  private final ExtentHooks hooks;
  private final boolean hooked;
  private final WaitQueue waiters;

  /**
   * Creates an empty tree.
   *
   * @param alloc where new states come from and removed ones go
   * @param memory resolves handles to memory (the slab cache behind the pool)
   * @param hooks the accounting hooks
   * @param waiters the tree's wait queue, woken when lock bits are cleared
   */
  @SuppressWarnings("ReferenceEquality") // identity of the no-op singleton is what skips the calls
  public StateTree(StateAllocator alloc, ObjectAllocator memory, ExtentHooks hooks, WaitQueue waiters) {
    super(memory);
    this.alloc = alloc;
    this.hooks = hooks;
    this.hooked = hooks != ExtentHooks.NONE;
    this.waiters = waiters;
  }

  // ---------------------------------------------------------------- set, clear, convert

  @Override
  public int needed() {
    return 1; // one state per split or hole, taken one at a time
  }

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
   * @param op the running operation
   * @return {@link #DONE}, {@link #CONFLICT}, or the offset to resume from once a state is at hand
   */
  @Override
  public long set(
      long start, long end, int bits, int exclusive, @Nullable RangeLog log, long hint, Prealloc op) {
    lastState = 0;
    int store = bits & ~CTL_BITS;
    long state = lookup(start, hint);
    while (true) {
      if (state == 0 || start(state) > end) {
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        lastState = insertHole(start, end, bits, store, log, state, n);
        return DONE;
      }
      long s = start(state);
      long e = end(state);
      if (s > start) {
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        long ins = insertHole(start, s - 1, bits, store, log, state, n);
        lastState = ins;
        start = s;
        state = end(ins) >= start ? ins : next(ins);
        continue;
      }
      int old = bits(state);
      if ((old & exclusive) != 0) {
        failedStart = start;
        return CONFLICT;
      }
      boolean hasAll = (old & bits) == bits;
      boolean split = false;
      if (s < start) {
        if (hasAll) {
          lastState = state;
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          state = next(state);
          continue;
        }
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        split(state, start, n);
        split = true;
      }
      if (e > end) {
        if (hasAll && (old & NO_MERGE_BITS) == 0) {
          lastState = state;
          return DONE;
        }
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        long piece = split(state, end + 1, n);
        setStateBits(piece, bits, store, log);
        mergeState(piece);
        lastState = piece;
        return DONE;
      }
      if (setStateBits(state, bits, store, log) || split) {
        mergeState(state);
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
   * @param op the running operation
   * @return {@link #DONE} or the offset to resume from once a state is at hand
   */
  @Override
  public long clear(long start, long end, int bits, @Nullable RangeLog log, long hint, Prealloc op) {
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
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        split(state, start, n);
      }
      if (e > end) {
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        long piece = split(state, end + 1, n);
        clearStateBits(piece, bits, log, false);
        return DONE;
      }
      // A neighbour merged into the state had none of the bits, so skipping past it is right.
      long next = clearStateBits(state, bits, log, e < end);
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
   * @param op the running operation
   * @return {@link #DONE} or the offset to resume from once a state is at hand
   */
  @Override
  public long convert(long start, long end, int bits, int clearBits, long hint, Prealloc op) {
    lastState = 0;
    int store = bits & ~CTL_BITS;
    long state = lookup(start, hint);
    while (true) {
      if (state == 0 || start(state) > end) {
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        lastState = insertHole(start, end, bits, store, null, state, n);
        return DONE;
      }
      long s = start(state);
      long e = end(state);
      if (s > start) {
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        long ins = insertHole(start, s - 1, bits, store, null, state, n);
        lastState = ins;
        start = s;
        state = end(ins) >= start ? ins : next(ins);
        continue;
      }
      int old = bits(state);
      // btrfs always splits here; skipping is invisible only for a state that would merge right back.
      boolean skip = (old & bits) == bits && (old & clearBits) == 0 && (old & NO_MERGE_BITS) == 0;
      if (s < start) {
        if (skip) {
          lastState = state;
          if (e >= end) {
            return DONE;
          }
          start = e + 1;
          state = next(state);
          continue;
        }
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        split(state, start, n);
      }
      if (e > end) {
        if (skip) {
          lastState = state;
          return DONE;
        }
        long n = alloc.take(op);
        if (n == 0) {
          return start;
        }
        long piece = split(state, end + 1, n);
        convertState(piece, bits, store, clearBits);
        return DONE;
      }
      convertState(state, bits, store, clearBits);
      if (e >= end) {
        return DONE;
      }
      start = e + 1;
      // A merged-in neighbour is already converted; holes after it are not, so resume past it exactly.
      state = end(state) >= start ? state : next(state);
    }
  }

  /** Sets bits on a state; returns whether its stored bits changed. Hooks see any missing bit. */
  private boolean setStateBits(long h, int bits, int store, @Nullable RangeLog log) {
    int old = bits(h);
    if ((old & bits) == bits) {
      return false;
    }
    if (hooked) {
      hooks.onSet(start(h), end(h), old, bits);
    }
    if ((old & store) == store) {
      return false; // only control bits were missing: the hooks saw them, nothing is stored
    }
    if (log != null) {
      log.record(start(h), end(h));
    }
    setBits(h, old | store);
    return true;
  }

  /**
   * Clears bits of a state that has some of them; returns the state after it if {@code wantNext}, else 0
   * (the last state of a clear, such as an exact unlock, skips the successor walk).
   */
  private long clearStateBits(long h, int bits, @Nullable RangeLog log, boolean wantNext) {
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
      long next = wantNext ? next(h) : 0;
      eraseAndFree(h);
      return next;
    }
    setBits(h, now);
    mergeState(h);
    lastState = h;
    return wantNext ? next(h) : 0;
  }

  private void convertState(long h, int bits, int store, int clearBits) {
    setStateBits(h, bits, store, null);
    int old = bits(h);
    if ((old & clearBits) != 0) {
      if (hooked) {
        hooks.onClear(start(h), end(h), old, clearBits);
      }
      setBits(h, old & ~clearBits); // never empty: the bits just set are disjoint from clearBits
    }
    mergeState(h);
    lastState = h;
  }

  // ---------------------------------------------------------------- split, merge, insert, remove

  /**
   * Links the new state {@code n} for the hole {@code [s, e]} right before {@code successor} (the first
   * state after the hole, or 0 if none), without a second search from the root, and merges it; returns
   * the surviving state.
   */
  private long insertHole(
      long s, long e, int bits, int store, @Nullable RangeLog log, long successor, long n) {
    if (hooked) {
      hooks.onSet(s, e, 0, bits);
    }
    if (log != null) {
      log.record(s, e);
    }
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
    mergeState(n);
    return n;
  }

  /**
   * Splits {@code orig} at {@code at} into the new state {@code n}, which takes {@code [start, at - 1]},
   * while {@code orig} keeps {@code [at, end]} (btrfs {@code split_state}); returns {@code n}.
   */
  private long split(long orig, long at, long n) {
    long s = start(orig);
    int b = bits(orig);
    if (hooked) {
      hooks.onSplit(s, end(orig), b, at);
    }
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
  private void mergeState(long h) {
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
      eraseAndFree(p);
    }
    long n = next(h);
    if (n != 0 && bits(n) == b && start(n) == end(h) + 1) {
      if (hooked) {
        hooks.onMerge(start(h), end(h), start(n), end(n), b);
      }
      setEnd(h, end(n));
      eraseAndFree(n);
    }
  }

  private void eraseAndFree(long h) {
    erase(h);
    size--;
    removals++;
    if (h == lastState) {
      lastState = 0;
    }
    alloc.free(h);
  }

  // ---------------------------------------------------------------- release

  /** Frees every state and the spare ones to the pool and empties the tree. */
  @Override
  public void freeAll() {
    alloc.freeStash();
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
      alloc.release(h);
      removals++;
      h = p;
    }
    root = 0;
    size = 0;
    lastState = 0;
  }
}
