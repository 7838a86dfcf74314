package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFINED_BITS;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NORESERVE;
import static io.github.slabkit.extent.ExtentBits.STATE_BITS;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.OpContext;
import io.github.slabkit.extent.internal.Prealloc;
import io.github.slabkit.extent.internal.RangeLog;
import io.github.slabkit.extent.internal.StateTree;
import io.github.slabkit.extent.internal.WaitQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A set of inclusive byte ranges {@code [start, end]} carrying {@link ExtentBits bits}, with exclusive
 * range locks: an off-heap port of the btrfs {@code extent_io_tree}.
 *
 * <h2>Implementation overview</h2>
 * The tree holds disjoint extent states ordered by start in an off-heap red-black tree (one 48-byte state
 * per node, links are allocator handles; see {@code internal.StateTree}). The rules are btrfs's: a set
 * fills holes with new states and splits the states that straddle the range ends; a clear splits likewise
 * and removes the states left with no bits; after a change a state merges with adjacent states of equal
 * bits unless it carries a lock bit or {@link ExtentBits#BOUNDARY}.
 *
 * <p>Every operation that may create states first tops up a per-thread buffer of two states (the worst
 * case of one range: a split at each end) from the state pool, <em>before</em> it takes the tree lock, and
 * returns what it did not use after releasing the lock. With a {@code Mempool} as the pool this allocation
 * never fails (it falls back to the pool's reserve and, at worst, waits for states to be freed), so no tree
 * operation fails for lack of memory, and memory is never allocated while the tree lock is held. A set or
 * convert across several holes needs a state per hole: when the buffer runs dry the operation stops at a
 * consistent point, drops the lock, refills and continues from where it stopped, as btrfs does.
 *
 * <p>The tree keeps up to four spare states between operations (a stash, guarded by the tree lock): what an
 * operation did not use or freed by merging. The next operation fills its buffer from the stash under the
 * lock and goes to the mempool (with the lock dropped) only when the stash is short, so steady work such as
 * lock-then-unlock of a range or set-then-clear makes no mempool call at all. The stash is bounded per tree,
 * so it can take at most four states from the reserve; {@link #close()} returns it with the tree's states.
 *
 * <h2>Locking</h2>
 * One {@link ReentrantLock} guards the whole structure, like btrfs's spinlock; every operation, queries
 * included, holds it for its duration (except while refilling, above). Hooks and visitors run under it and
 * must not call back into the tree (doing so throws {@link IllegalStateException}).
 *
 * <p>Range locks are the {@link ExtentBits#LOCK_BITS}: {@link #lock} sets them on the whole range or, on
 * meeting a state that has them, undoes the prefix it locked, waits until the conflicting part of the range
 * is free, and retries the whole range; it never waits while holding part of a range, nor while holding
 * preallocated states. A waiter is queued, under the tree lock, with the range and bits it waits for; a
 * clear of lock bits wakes exactly the waiters whose range overlaps a state whose lock bits it cleared, each
 * one individually. The check and the enqueue happen in the same critical section as the clear that would
 * wake it, so no wake-up is lost. Locks are not fair and not reentrant, and have no owner: any thread may
 * unlock a range.
 *
 * <h2>Memory ordering</h2>
 * All state fields are accessed plain, always under the tree lock: its unlock happens-before its next lock,
 * so actions in a thread before it sets or clears bits happen-before actions of a thread that later
 * observes those bits through any method of this tree. In particular, actions before {@link #unlock}
 * happen-before the return of the {@link #lock} call that then acquires an overlapping range. A waiter's
 * {@code woken} flag is volatile and written before {@link LockSupport#unpark}.
 *
 * <h2>Heap use</h2>
 * The tree keeps no heap object per state. Each thread that uses a tree gets one small reusable context
 * (its preallocation buffer and its waiter, in a {@link ThreadLocal} shared by all trees); operations with
 * reused {@link RangeResult}, {@link ExtentChangeset}, {@link CachedState} and {@link ExtentVisitor}
 * objects allocate nothing. The tree also keeps its own position hint, the last state an operation
 * touched, so that unlocking the range just locked, or working sequentially, skips the search.
 *
 * <h2>Not guaranteed</h2>
 * Range locks are not fair: a waiter retries when woken and may lose to a newcomer. A set, convert or
 * lock across several holes may drop the tree lock between holes to refill its buffer (as btrfs does), so
 * other threads can observe such an operation half done; a lock never exposes a state to another locker
 * that it does not hold, and the bytes it has not reached yet are unaffected. The mempool reserve
 * guarantees the progress of operations in flight, not unbounded growth: if live states fill the budget
 * and the reserve, the next operation that needs a state waits until one is freed.
 *
 * <h2>Errors</h2>
 * Offsets are non-negative {@code long}s; ranges are inclusive. A negative offset, {@code start > end},
 * undefined bits or bits not allowed for the operation throw {@link IllegalArgumentException}; unlocking a
 * range that is not entirely locked throws {@link IllegalStateException}; in every such case the tree is
 * unchanged. {@link #close()} refuses, naming them, while ranges are locked or threads wait.
 */
public final class ExtentTree implements AutoCloseable {
  private static final ThreadLocal<OpContext> CONTEXT = ThreadLocal.withInitial(OpContext::new);
  private static final int UNINTERRUPTIBLE = 0;
  private static final int INTERRUPTIBLE = 1;
  private static final int TRY = 2;
  private static final int TIMED = 3;
  private static final int DESCRIBE_MAX = 8;

  private final String name;
  private final ObjectAllocator pool;
  private final ObjectAllocator memory;
  private final List<AutoCloseable> owned;
  private final ReentrantLock lock = new ReentrantLock();
  private final WaitQueue waiters = new WaitQueue();
  private final StateTree states;
  private volatile boolean closed;
  private long refills;
  // The tree's own position hint, guarded by the tree lock: valid while removals() == recentEpoch.
  private long recent;
  private long recentEpoch = -1;

  ExtentTree(
      String name, ObjectAllocator pool, ObjectAllocator memory, ExtentHooks hooks, List<AutoCloseable> owned) {
    this.name = name;
    this.pool = pool;
    this.memory = memory;
    this.owned = owned;
    this.states = new StateTree(pool, memory, hooks, waiters);
  }

  /**
   * Starts building a tree.
   *
   * @param name the name used in messages and in the names of the slab cache and mempool it creates
   * @return a builder
   */
  public static ExtentTreeBuilder builder(String name) {
    return new ExtentTreeBuilder(name);
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the allocator states are preallocated from (the mempool).
   *
   * @return the pool
   */
  public ObjectAllocator statePool() {
    return pool;
  }

  /**
   * Returns the allocator whose memory holds the states (the slab cache).
   *
   * @return the state memory
   */
  public ObjectAllocator stateMemory() {
    return memory;
  }

  /**
   * Returns the slab cache holding the states, if they live in one (the default).
   *
   * @return the slab cache, or null
   */
  public io.github.slabkit.slab.@Nullable SlabCache slabCache() {
    return memory instanceof io.github.slabkit.slab.SlabCache c ? c : null;
  }

  /**
   * Returns the mempool states come through, if they do (the default).
   *
   * @return the mempool, or null
   */
  public io.github.slabkit.mempool.@Nullable Mempool mempool() {
    return pool instanceof io.github.slabkit.mempool.Mempool m ? m : null;
  }

  // ---------------------------------------------------------------- set, clear, convert

  /**
   * Sets {@code bits} on every byte of {@code [start, end]}.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits; not lock bits (use {@link #lock}), not {@link ExtentBits#CLEAR_ALL_BITS}, at least
   *     one storable bit; other control bits reach the hooks only
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void set(long start, long end, int bits) {
    set(start, end, bits, null, null);
  }

  /**
   * Sets {@code bits} on every byte of {@code [start, end]}, recording what changed.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits as {@link #set(long, long, int)}
   * @param changeset receives the ranges that lacked one of the bits, or null
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void set(
      long start, long end, int bits, @Nullable ExtentChangeset changeset, @Nullable CachedState cached) {
    checkRange("set", start, end);
    checkDefined("set", bits);
    if ((bits & LOCK_BITS) != 0) {
      throw bad("set", "lock bits " + ExtentBits.toString(bits & LOCK_BITS) + " are set by lock()/tryLock()");
    }
    if ((bits & CLEAR_ALL_BITS) != 0) {
      throw bad("set", "CLEAR_ALL_BITS is a request for clear()");
    }
    if ((bits & ~CTL_BITS) == 0) {
      throw bad("set", "no storable bit in " + ExtentBits.toString(bits));
    }
    RangeLog log = changeset == null ? null : changeset.log;
    OpContext ctx = enter();
    Prealloc pre = ctx.prealloc;
    try {
      lockTreeFilled(pre);
      try {
        checkOpen();
        long hint = hint(cached);
        long r;
        while ((r = states.set(start, end, bits, 0, log, hint, pre)) >= 0) {
          start = r;
          hint = 0;
          unlockRefillLock(pre);
        }
        remember(cached);
      } finally {
        stashAndUnlock(pre);
      }
    } finally {
      exit(ctx);
    }
  }

  /**
   * Clears {@code bits} from every byte of {@code [start, end]}; states left without bits are removed.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits; {@link ExtentBits#CLEAR_ALL_BITS} clears every bit, clearing
   *     {@link ExtentBits#DELALLOC} also clears {@link ExtentBits#NORESERVE}, clearing lock bits wakes the
   *     waiters of the cleared ranges (without the check {@link #unlock} makes)
   * @throws IllegalArgumentException on a bad range or undefined bits; the tree is unchanged
   */
  public void clear(long start, long end, int bits) {
    clear(start, end, bits, null, null);
  }

  /**
   * Clears {@code bits} from every byte of {@code [start, end]}, recording what changed.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits as {@link #clear(long, long, int)}
   * @param changeset receives the ranges that had one of the bits, or null
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or undefined bits; the tree is unchanged
   */
  public void clear(
      long start, long end, int bits, @Nullable ExtentChangeset changeset, @Nullable CachedState cached) {
    checkRange("clear", start, end);
    checkDefined("clear", bits);
    clearChecked(start, end, expandClear(bits), changeset == null ? null : changeset.log, cached, false);
  }

  /**
   * Sets {@code bits} and clears {@code clearBits} on every byte of {@code [start, end]} in one pass; holes
   * receive {@code bits}.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits to set: at least one storable bit, no lock bits
   * @param clearBits the bits to clear: no lock bits, none of {@code bits}
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void convert(long start, long end, int bits, int clearBits) {
    convert(start, end, bits, clearBits, null);
  }

  /**
   * As {@link #convert(long, long, int, int)}, with a position hint.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits to set
   * @param clearBits the bits to clear
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void convert(long start, long end, int bits, int clearBits, @Nullable CachedState cached) {
    checkRange("convert", start, end);
    checkDefined("convert", bits | clearBits);
    if (((bits | clearBits) & (LOCK_BITS | CLEAR_ALL_BITS)) != 0) {
      throw bad("convert", "lock bits and CLEAR_ALL_BITS are not convertible");
    }
    if ((bits & ~CTL_BITS) == 0) {
      throw bad("convert", "no storable bit to set in " + ExtentBits.toString(bits));
    }
    if ((bits & clearBits) != 0) {
      throw bad("convert", "bits to set and to clear overlap: " + ExtentBits.toString(bits & clearBits));
    }
    OpContext ctx = enter();
    Prealloc pre = ctx.prealloc;
    try {
      lockTreeFilled(pre);
      try {
        checkOpen();
        long hint = hint(cached);
        long r;
        while ((r = states.convert(start, end, bits, clearBits, hint, pre)) >= 0) {
          start = r;
          hint = 0;
          unlockRefillLock(pre);
        }
        remember(cached);
      } finally {
        stashAndUnlock(pre);
      }
    } finally {
      exit(ctx);
    }
  }

  // ---------------------------------------------------------------- range locks

  /**
   * Locks {@code [start, end]} with {@link ExtentBits#LOCKED}, waiting uninterruptibly while any part of
   * it is locked. If the thread is interrupted while waiting it keeps waiting and its interrupt status is
   * set on return.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   */
  public void lock(long start, long end) {
    lock(start, end, LOCKED, null);
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits}, also setting its other bits, waiting
   * uninterruptibly while any part of the range has one of those lock bits (btrfs {@code lock_extent}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void lock(long start, long end, int bits, @Nullable CachedState cached) {
    try {
      lockRange(start, end, bits, cached, UNINTERRUPTIBLE, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible lock interrupted", e);
    }
  }

  /**
   * As {@link #lock(long, long, int, CachedState)}, but interruptible.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @throws InterruptedException if the thread is interrupted before or while waiting; it then holds no
   *     part of the range
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void lockInterruptibly(long start, long end, int bits, @Nullable CachedState cached)
      throws InterruptedException {
    lockRange(start, end, bits, cached, INTERRUPTIBLE, 0);
  }

  /**
   * Locks {@code [start, end]} with {@link ExtentBits#LOCKED} if no part of it is locked, without waiting.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return whether the range is now locked by this call; if not, the tree is as before
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   */
  public boolean tryLock(long start, long end) {
    return tryLock(start, end, LOCKED, null);
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits} if no part of it has them, without
   * waiting (btrfs {@code try_lock_extent}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @return whether the range is now locked by this call; if not, the tree is as before
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public boolean tryLock(long start, long end, int bits, @Nullable CachedState cached) {
    try {
      return lockRange(start, end, bits, cached, TRY, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("tryLock does not wait", e);
    }
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits}, waiting at most {@code timeout}.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param timeout how long to wait at most
   * @param unit the unit of {@code timeout}
   * @return whether the range was locked in time; if not, this call holds no part of it
   * @throws InterruptedException if the thread is interrupted before or while waiting
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public boolean tryLock(long start, long end, int bits, long timeout, TimeUnit unit)
      throws InterruptedException {
    return lockRange(start, end, bits, null, TIMED, unit.toNanos(timeout));
  }

  /**
   * Unlocks {@code [start, end]}: clears {@link ExtentBits#LOCKED} and wakes the waiters of the range.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   * @throws IllegalStateException if some byte of the range is not locked; the tree is unchanged
   */
  public void unlock(long start, long end) {
    unlock(start, end, LOCKED, null);
  }

  /**
   * Unlocks {@code [start, end]}: checks that every byte has the lock bits of {@code bits}, then clears
   * {@code bits} (btrfs {@code unlock_extent}) and wakes the waiters of the range.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally other bits to clear with it
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   * @throws IllegalStateException if some byte of the range lacks one of the lock bits; the tree is
   *     unchanged
   */
  public void unlock(long start, long end, int bits, @Nullable CachedState cached) {
    checkRange("unlock", start, end);
    checkLockBits("unlock", bits);
    clearChecked(start, end, expandClear(bits), null, cached, true);
  }

  private boolean lockRange(
      long start, long end, int bits, @Nullable CachedState cached, int mode, long nanos)
      throws InterruptedException {
    checkRange("lock", start, end);
    checkLockBits("lock", bits);
    int exclusive = bits & LOCK_BITS;
    long deadline = mode == TIMED ? System.nanoTime() + nanos : 0L;
    if (mode != UNINTERRUPTIBLE && mode != TRY && Thread.interrupted()) {
      throw new InterruptedException();
    }
    OpContext ctx = enter();
    Prealloc pre = ctx.prealloc;
    boolean interrupted = false;
    try {
      while (true) {
        lockTreeFilled(pre);
        try {
          checkOpen();
          long hint = hint(cached);
          long from = start;
          long r;
          while ((r = states.set(from, end, exclusive, exclusive, null, hint, pre)) >= 0) {
            from = r;
            hint = 0;
            unlockRefillLock(pre);
          }
          if (r == StateTree.DONE) {
            int extra = bits & ~exclusive;
            if ((extra & ~CTL_BITS) != 0) { // the range is ours now: the other bits go on in a second pass
              from = start;
              while ((r = states.set(from, end, extra, 0, null, 0, pre)) >= 0) {
                from = r;
                unlockRefillLock(pre);
              }
            }
            remember(cached);
            return true;
          }
          long failed = states.failedStart();
          if (failed > start) {
            clearLocked(start, failed - 1, exclusive, null, pre); // undo the locked prefix exactly
          }
          if (mode == TRY) {
            return false;
          }
          release(pre); // never sleep on preallocated states
          int result = awaitFree(failed, end, exclusive, ctx.waiter, mode, deadline);
          if (result < 0) {
            return false;
          }
          interrupted |= result == 1;
        } finally {
          stashAndUnlock(pre);
        }
      }
    } finally {
      exit(ctx);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * With the tree lock held (on entry and on return, though released while parked), waits until no state
   * in {@code [from, end]} has one of {@code bits}. Returns 0 when free, 1 when free but an interrupt was
   * swallowed (uninterruptible mode), -1 on timeout.
   */
  private int awaitFree(long from, long end, int bits, WaitQueue.Waiter w, int mode, long deadline)
      throws InterruptedException {
    boolean swallowed = false;
    while (true) {
      long h = states.firstWithin(from, end, bits);
      if (h == 0) {
        return swallowed ? 1 : 0;
      }
      from = Math.max(from, states.start(h));
      waiters.enqueue(w, from, end, bits);
      lock.unlock();
      boolean timedOut = false;
      boolean interrupted = false;
      try {
        while (!w.woken()) {
          if (mode == TIMED) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              timedOut = true;
              break;
            }
            LockSupport.parkNanos(this, left);
          } else {
            LockSupport.park(this);
          }
          if (Thread.interrupted()) {
            if (mode == UNINTERRUPTIBLE) {
              swallowed = true;
            } else {
              interrupted = true;
              break;
            }
          }
        }
      } finally {
        lock.lock();
        waiters.remove(w); // no-op when the waker unlinked it
      }
      if (interrupted) {
        throw new InterruptedException();
      }
      if (timedOut) {
        return -1;
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /**
   * Finds the state containing {@code offset}: a point lookup.
   *
   * @param offset the offset, {@code >= 0}
   * @param out receives the state's range and bits
   * @return whether a state contains the offset
   */
  public boolean stateAt(long offset, RangeResult out) {
    checkOffset("stateAt", offset);
    lockTree();
    try {
      checkOpen();
      long h = states.stateAt(offset);
      return h == 0 ? out.none() : out.set(states.resultStart(), states.resultEnd(), states.resultBits());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the bits of the byte at {@code offset}: a point lookup.
   *
   * @param offset the offset, {@code >= 0}
   * @return the bits, 0 in a hole
   */
  public int bitsAt(long offset) {
    checkOffset("bitsAt", offset);
    lockTree();
    try {
      checkOpen();
      return states.stateAt(offset) == 0 ? 0 : states.resultBits();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Finds the first state with any of {@code bits} that ends at or after {@code from} (btrfs
   * {@code find_first_extent_bit}); its start may be before {@code from}.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches
   * @param out receives the state
   * @return whether one was found
   */
  public boolean findFirst(long from, int bits, RangeResult out) {
    return findFirst(from, bits, out, null);
  }

  /**
   * As {@link #findFirst(long, int, RangeResult)}, with a position hint: after finding {@code [s, e]}, a
   * scan continues fast from {@code e + 1} with the same hint.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches
   * @param out receives the state
   * @param cached a position hint to start from and to update, or null
   * @return whether one was found
   */
  public boolean findFirst(long from, int bits, RangeResult out, @Nullable CachedState cached) {
    checkOffset("findFirst", from);
    checkDefined("findFirst", bits);
    lockTree();
    try {
      checkOpen();
      long h = states.findFirst(from, bits, hint(cached));
      if (h == 0) {
        return out.none();
      }
      rememberState(cached, h);
      return out.set(states.start(h), states.end(h), states.bits(h));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Finds the first state with any of {@code bits} ending at or after {@code from}, extended over the
   * adjacent states that also have any of them (btrfs {@code find_contiguous_extent_bit}, which does not
   * check the bits of the following states; this one does).
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches
   * @param out receives the range; its bits are those of the first state
   * @return whether one was found
   */
  public boolean findContiguous(long from, int bits, RangeResult out) {
    checkOffset("findContiguous", from);
    checkDefined("findContiguous", bits);
    lockTree();
    try {
      checkOpen();
      long h = states.findFirst(from, bits, 0);
      if (h == 0) {
        return out.none();
      }
      return out.set(states.start(h), states.contiguousEnd(h, bits), states.bits(h));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Finds the next range to write back (btrfs {@code find_delalloc_range}): the first state with
   * {@link ExtentBits#DELALLOC} ending at or after {@code from}, extended over adjacent
   * {@code DELALLOC} states until a state with {@link ExtentBits#BOUNDARY} (which starts a new range) or
   * until the range holds at least {@code maxBytes}. Unlike btrfs, states without {@code DELALLOC} before
   * the first one are skipped rather than ending the search.
   *
   * @param from the offset, {@code >= 0}
   * @param maxBytes the size at which to stop extending, {@code > 0}
   * @param out receives the range; its bits are those of its first state
   * @return whether a range was found
   */
  public boolean findDelallocRange(long from, long maxBytes, RangeResult out) {
    checkOffset("findDelallocRange", from);
    if (maxBytes <= 0) {
      throw bad("findDelallocRange", "maxBytes " + maxBytes + " is not positive");
    }
    lockTree();
    try {
      checkOpen();
      long h = states.findRun(from, DELALLOC, ExtentBits.BOUNDARY, maxBytes);
      return h == 0 ? out.none() : out.set(states.resultStart(), states.resultEnd(), states.bits(h));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Finds the maximal run of bytes having none of {@code bits} that contains {@code from} or is the first
   * after it; bytes in no state count as clear (btrfs {@code find_first_clear_extent_bit}). The run may
   * start before {@code from}; its end is {@link Long#MAX_VALUE} when nothing with the bits follows.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits
   * @param out receives the run, bits 0
   * @return false only if every byte from {@code from} to {@link Long#MAX_VALUE} has one of the bits
   */
  public boolean findFirstClear(long from, int bits, RangeResult out) {
    checkOffset("findFirstClear", from);
    checkDefined("findFirstClear", bits);
    lockTree();
    try {
      checkOpen();
      if (!states.findFirstClear(from, bits)) {
        return out.none();
      }
      return out.set(states.resultStart(), states.resultEnd(), 0);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether every byte of {@code [start, end]} has all of {@code bits}; a hole fails (btrfs
   * {@code test_range_bit}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits, not empty
   * @return true if every byte has them all
   */
  public boolean rangeHasAll(long start, long end, int bits) {
    return rangeHasAll(start, end, bits, null);
  }

  /**
   * As {@link #rangeHasAll(long, long, int)}, with a position hint (only read).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits, not empty
   * @param cached a position hint, or null
   * @return true if every byte has them all
   */
  public boolean rangeHasAll(long start, long end, int bits, @Nullable CachedState cached) {
    checkRange("rangeHasAll", start, end);
    checkQueryBits("rangeHasAll", bits);
    lockTree();
    try {
      checkOpen();
      return states.hasAll(start, end, bits, hint(cached));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether some byte of {@code [start, end]} has any of {@code bits} (btrfs
   * {@code test_range_bit_exists}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits, not empty
   * @return true if some byte has one
   */
  public boolean rangeHasAny(long start, long end, int bits) {
    checkRange("rangeHasAny", start, end);
    checkQueryBits("rangeHasAny", bits);
    lockTree();
    try {
      checkOpen();
      return states.hasAny(start, end, bits);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the OR of the bits of every byte of {@code [start, end]} (btrfs {@code get_range_bits}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return the bits
   */
  public int rangeBits(long start, long end) {
    checkRange("rangeBits", start, end);
    lockTree();
    try {
      checkOpen();
      return states.rangeBits(start, end);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts the bytes of {@code [start, searchEnd]} that have all of {@code bits} (btrfs
   * {@code count_range_bits}).
   *
   * @param start first offset, {@code >= 0}
   * @param searchEnd last offset, inclusive, {@code >= start}
   * @param maxBytes the count at which to stop; the last state counted may take the result past it
   * @param bits the bits, not empty
   * @param contiguous whether to stop at the first byte without the bits after the first byte with them
   * @return the byte count
   */
  public long countBytes(long start, long searchEnd, long maxBytes, int bits, boolean contiguous) {
    return countBytes(start, searchEnd, maxBytes, bits, contiguous, null, null);
  }

  /**
   * As {@link #countBytes(long, long, long, int, boolean)}, also reporting the first byte counted.
   *
   * @param start first offset, {@code >= 0}
   * @param searchEnd last offset, inclusive, {@code >= start}
   * @param maxBytes the count at which to stop
   * @param bits the bits, not empty
   * @param contiguous whether to stop at the first gap after the first byte found
   * @param first if not null, receives {@code [firstByte, firstByte]} (not found if the count is 0)
   * @param cached a position hint to start from and to update, or null
   * @return the byte count
   */
  public long countBytes(
      long start,
      long searchEnd,
      long maxBytes,
      int bits,
      boolean contiguous,
      @Nullable RangeResult first,
      @Nullable CachedState cached) {
    checkRange("countBytes", start, searchEnd);
    checkQueryBits("countBytes", bits);
    lockTree();
    try {
      checkOpen();
      long total = states.count(start, searchEnd, maxBytes, bits, contiguous, hint(cached));
      long h = states.lastState();
      if (h != 0) {
        rememberState(cached, h);
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
      lock.unlock();
    }
  }

  /**
   * Visits, in order and under the tree lock, every state overlapping {@code [start, end]}; allocates
   * nothing.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param visitor the visitor; it must not call into the tree
   * @return the number of states visited
   */
  public int forEach(long start, long end, ExtentVisitor visitor) {
    checkRange("forEach", start, end);
    OpContext ctx = enter();
    try {
      lockTree();
      try {
        checkOpen();
        return states.forEach(start, end, visitor);
      } finally {
        lock.unlock();
      }
    } finally {
      exit(ctx);
    }
  }

  /**
   * Returns a copy of the states overlapping {@code [start, end]} (allocates).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return the states in order
   */
  public List<Extent> states(long start, long end) {
    List<Extent> list = new ArrayList<>();
    forEach(
        start,
        end,
        (s, e, b) -> {
          list.add(new Extent(s, e, b));
          return true;
        });
    return list;
  }

  /**
   * Returns a copy of every state (allocates).
   *
   * @return the states in order
   */
  public List<Extent> states() {
    return states(0, Long.MAX_VALUE);
  }

  /**
   * Returns the number of extent states.
   *
   * @return the count
   */
  public long stateCount() {
    lock.lock();
    try {
      return states.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether the tree has no state.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return stateCount() == 0;
  }

  /**
   * Returns the number of threads waiting for a range lock.
   *
   * @return the count
   */
  public int waiterCount() {
    lock.lock();
    try {
      return waiters.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many times a thread started waiting for a range lock.
   *
   * @return the count
   */
  public long lockWaits() {
    lock.lock();
    try {
      return waiters.waits();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many waiters were woken by a clear of lock bits on their range.
   *
   * @return the count
   */
  public long lockWakeups() {
    lock.lock();
    try {
      return waiters.wakeups();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many times an operation ran out of preallocated states and dropped the lock to refill.
   *
   * @return the count
   */
  public long refills() {
    lock.lock();
    try {
      return refills;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Checks every structural invariant (order, red-black rules, links, no empty state, merges done). For
   * tests and debugging: O(n) under the tree lock.
   *
   * @throws IllegalStateException naming the first violation
   */
  public void verify() {
    lock.lock();
    try {
      String bad = states.verify();
      if (bad != null) {
        throw new IllegalStateException(name + ": " + bad);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Frees every extent state and, if the tree created them, closes its mempool and slab cache. Refuses
   * while a range is locked or a thread waits. Idempotent. Must not race with other operations.
   *
   * @throws IllegalStateException naming the locked ranges and the waiters; the tree is then unchanged
   */
  @Override
  public void close() {
    lockTree();
    try {
      if (closed) {
        return;
      }
      StringBuilder locked = new StringBuilder();
      long nLocked = states.describeLocked(locked, DESCRIBE_MAX);
      if (nLocked > 0 || !waiters.isEmpty()) {
        StringBuilder sb = new StringBuilder(name).append(": cannot close: ");
        sb.append(nLocked).append(" locked state(s)");
        if (nLocked > 0) {
          sb.append(" ").append(locked);
        }
        sb.append(" and ").append(waiters.size()).append(" waiter(s)");
        if (!waiters.isEmpty()) {
          sb.append(" ");
          waiters.describe(sb, DESCRIBE_MAX);
        }
        throw new IllegalStateException(sb.toString());
      }
      states.freeAll();
      closed = true;
    } finally {
      lock.unlock();
    }
    RuntimeException failure = null;
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException(name + ": closing " + c + " failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Returns whether the tree is closed.
   *
   * @return true after {@link #close()}
   */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "ExtentTree[" + name + (closed ? ", closed]" : "]");
  }

  // ---------------------------------------------------------------- internals

  /** Clears with validation done; {@code checkLocked} makes it an unlock. */
  private void clearChecked(
      long start,
      long end,
      int bits,
      @Nullable RangeLog log,
      @Nullable CachedState cached,
      boolean checkLocked) {
    OpContext ctx = enter();
    Prealloc pre = ctx.prealloc;
    try {
      lockTreeFilled(pre);
      try {
        checkOpen();
        long hint = hint(cached);
        if (checkLocked) {
          int lockBits = bits & LOCK_BITS;
          if (!states.hasAll(start, end, lockBits, hint)) {
            states.findFirstClear(start, lockBits);
            throw new IllegalStateException(
                name
                    + ": unlock of ["
                    + start
                    + ", "
                    + end
                    + "] "
                    + ExtentBits.toString(lockBits)
                    + ": not locked from offset "
                    + Math.max(start, states.resultStart()));
          }
        }
        long r;
        while ((r = states.clear(start, end, bits, log, hint, pre)) >= 0) {
          start = r;
          hint = 0;
          unlockRefillLock(pre);
        }
        remember(cached);
      } finally {
        stashAndUnlock(pre);
      }
    } finally {
      exit(ctx);
    }
  }

  /** Clears with the tree lock held (the undo of a lock's prefix). */
  private void clearLocked(long start, long end, int bits, @Nullable RangeLog log, Prealloc pre) {
    long r;
    while ((r = states.clear(start, end, bits, log, 0, pre)) >= 0) {
      start = r;
      unlockRefillLock(pre);
    }
  }

  /**
   * Takes the tree lock with {@code pre} full: first from the tree's stash of spare states (under the lock),
   * and only if that is not enough from the mempool, with the lock dropped so that no thread ever waits for
   * memory while holding the tree lock. In steady state (lock then unlock of a range, set then clear) the
   * states one operation frees feed the next one through the stash and no mempool call is made.
   */
  private void lockTreeFilled(Prealloc pre) {
    lockTree();
    if (closed || !states.fillFromStash(pre)) {
      lock.unlock();
      try {
        refill(pre);
      } finally {
        lock.lock();
      }
    }
  }

  /** Keeps what {@code pre} did not use in the stash, as far as it has room, then drops the tree lock. */
  private void stashAndUnlock(Prealloc pre) {
    try {
      if (!closed) {
        states.stashFrom(pre);
      }
    } finally {
      lock.unlock();
    }
  }

  private void unlockRefillLock(Prealloc pre) {
    refills++;
    lock.unlock();
    try {
      refill(pre);
    } finally {
      lock.lock();
    }
    checkOpen();
  }

  private void refill(Prealloc pre) {
    int c = pre.count();
    if (c == 0) {
      pool.allocateBulk(pre.handles(), Prealloc.CAPACITY);
    } else if (c == 1) {
      pre.handles()[1] = pool.allocate();
    }
    pre.count(Prealloc.CAPACITY);
  }

  private void release(Prealloc pre) {
    int c = pre.count();
    if (c == 0) {
      return;
    }
    pre.count(0);
    if (c == 1) {
      pool.free(pre.handles()[0]);
    } else {
      pool.freeBulk(pre.handles(), c);
    }
  }

  private void lockTree() {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(name + ": hooks and visitors must not call into their tree");
    }
    lock.lock();
  }

  private OpContext enter() {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(name + ": hooks and visitors must not call into their tree");
    }
    checkOpen();
    OpContext ctx = CONTEXT.get();
    if (ctx.busy) {
      ctx = new OpContext(); // nested use from a hook of another tree
    }
    ctx.busy = true;
    return ctx;
  }

  private void exit(OpContext ctx) {
    try {
      release(ctx.prealloc);
    } finally {
      ctx.busy = false;
    }
  }

  /**
   * The handle to start from: the caller's hint if it is still valid, else the tree's own hint (the last
   * state any operation touched), which makes lock-then-unlock of one range and sequential work skip the
   * search even without a {@link CachedState}. A hint is valid while no state has been removed since it
   * was recorded, so the handle is still a state of this tree; the tree checks that it covers the offset.
   */
  private long hint(@Nullable CachedState cached) {
    long removals = states.removals();
    if (cached != null && cached.owner == this && cached.epoch == removals) {
      return cached.handle;
    }
    return recentEpoch == removals ? recent : 0;
  }

  private void remember(@Nullable CachedState cached) {
    long h = states.lastState();
    if (h != 0) {
      recent = h;
      recentEpoch = states.removals();
    }
    if (cached != null) {
      if (h == 0) {
        cached.reset();
      } else {
        rememberState(cached, h);
      }
    }
  }

  private void rememberState(@Nullable CachedState cached, long h) {
    if (cached != null) {
      cached.owner = this;
      cached.handle = h;
      cached.epoch = states.removals();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
  }

  private static int expandClear(int bits) {
    if ((bits & CLEAR_ALL_BITS) != 0) {
      bits |= STATE_BITS;
    }
    if ((bits & DELALLOC) != 0) {
      bits |= NORESERVE;
    }
    return bits;
  }

  private void checkRange(String op, long start, long end) {
    if (start < 0) {
      throw bad(op, "start " + start + " is negative");
    }
    if (start > end) {
      throw bad(op, "start " + start + " > end " + end + " (ranges are inclusive)");
    }
  }

  private void checkOffset(String op, long offset) {
    if (offset < 0) {
      throw bad(op, "offset " + offset + " is negative");
    }
  }

  private void checkDefined(String op, int bits) {
    if ((bits & ~DEFINED_BITS) != 0) {
      throw bad(op, "undefined bits 0x" + Integer.toHexString(bits & ~DEFINED_BITS) + " (reserved: 17-23)");
    }
  }

  private void checkQueryBits(String op, int bits) {
    checkDefined(op, bits);
    if ((bits & STATE_BITS) == 0) {
      throw bad(op, "no state bit in " + ExtentBits.toString(bits));
    }
  }

  private void checkLockBits(String op, int bits) {
    checkDefined(op, bits);
    if ((bits & LOCK_BITS) == 0) {
      throw bad(op, "no lock bit in " + ExtentBits.toString(bits));
    }
    if ((bits & CLEAR_ALL_BITS) != 0) {
      throw bad(op, "CLEAR_ALL_BITS is a request for clear()");
    }
  }

  private IllegalArgumentException bad(String op, String what) {
    return new IllegalArgumentException(name + ": " + op + ": " + what);
  }
}
