package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;

import io.github.slabkit.extent.internal.OpContext;
import io.github.slabkit.extent.internal.Prealloc;
import io.github.slabkit.extent.internal.RangeLocker;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The range locks of one {@link ExtentTree} behind its facade: their argument checks, their entry into the
 * tree lock (each lock and each unlock takes it once when uncontended) and the unlock without a search.
 *
 * <h2>Unlock without a search</h2>
 * btrfs's {@code unlock_extent} checks nothing; this port checks that every byte of the range has the lock
 * bits before it clears them, so that the unlock of a range that is not locked throws and leaves the tree
 * unchanged. The check is a second search of the range (on a B+tree a descent from the root, as costly as
 * the clear that follows). It is skipped when the tree can prove the range is still locked: a lock records
 * the range and lock bits it was granted with the tree's {@linkplain TreeCore#lockEpoch() lock epoch}, a
 * count that every removal of lock bits advances in the critical section that removes them. While the
 * epoch is unchanged, no byte has lost a lock bit since the grant, so the granted range still has every
 * bit it was granted. The tree keeps its last grant (one thread's lock-then-unlock of one range), and a
 * {@link LockedRange} keeps its own. A stale record, after any lock bit was cleared anywhere in the tree,
 * only costs the check; it can never skip a check that would fail.
 *
 * <h2>Threading</h2>
 * The grant record is read and written under the tree lock; a holder's epoch is written by the thread that
 * uses the holder, with a value read under the tree lock.
 */
final class TreeLocks {
  private final String name;
  private final TreeCore core;
  // The last grant of a lock, guarded by the tree lock: its range, its lock bits and the epoch it held at.
  private long grantStart;
  private long grantEnd = -1;
  private int grantBits;
  private long grantEpoch = -1;
  private long uncheckedUnlocks;

  TreeLocks(String name, TreeCore core) {
    this.name = name;
    this.core = core;
  }

  String name() {
    return name;
  }

  // ---------------------------------------------------------------- lock

  void lock(long start, long end, int bits, @Nullable CachedState cached, boolean reclaim) {
    Args.lock(name, "lock", start, end, bits);
    lockUninterruptibly(start, end, bits, cached, reclaim, null);
  }

  LockedRange lock(long start, long end, LockedRange holder) {
    holder.checkFree();
    Args.lock(name, "lock", start, end, LOCKED);
    lockUninterruptibly(start, end, LOCKED, holder.hint, false, holder);
    return holder;
  }

  void lockInterruptibly(long start, long end, int bits, @Nullable CachedState cached) throws InterruptedException {
    Args.lock(name, "lock", start, end, bits);
    lockRange(start, end, bits, cached, RangeLocker.INTERRUPTIBLE, 0, false, null);
  }

  boolean tryLock(long start, long end, int bits, @Nullable CachedState cached) {
    Args.lock(name, "tryLock", start, end, bits);
    return tryLock(start, end, bits, cached, null);
  }

  boolean tryLock(long start, long end, LockedRange holder) {
    holder.checkFree();
    Args.lock(name, "tryLock", start, end, LOCKED);
    return tryLock(start, end, LOCKED, holder.hint, holder);
  }

  boolean tryLock(long start, long end, int bits, long timeout, TimeUnit unit) throws InterruptedException {
    Args.lock(name, "tryLock", start, end, bits);
    return lockRange(start, end, bits, null, RangeLocker.TIMED, unit.toNanos(timeout), false, null);
  }

  private boolean tryLock(long start, long end, int bits, @Nullable CachedState cached,
      @Nullable LockedRange holder) {
    try {
      return lockRange(start, end, bits, cached, RangeLocker.TRY, 0, false, holder);
    } catch (InterruptedException e) {
      throw new AssertionError("tryLock does not wait for locks", e);
    }
  }

  private void lockUninterruptibly(long start, long end, int bits, @Nullable CachedState cached, boolean reclaim,
      @Nullable LockedRange holder) {
    try {
      lockRange(start, end, bits, cached, RangeLocker.UNINTERRUPTIBLE, 0, reclaim, holder);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible lock interrupted", e);
    }
  }

  /** Locks under the tree lock; on success records the grant, and fills {@code holder} if given. */
  private boolean lockRange(long start, long end, int bits, @Nullable CachedState cached, int mode, long nanos,
      boolean reclaiming, @Nullable LockedRange holder) throws InterruptedException {
    long deadline = mode == RangeLocker.TIMED ? System.nanoTime() + nanos : 0L;
    if ((mode == RangeLocker.INTERRUPTIBLE || mode == RangeLocker.TIMED) && Thread.interrupted()) {
      throw new InterruptedException(name + ": lock of [" + start + ", " + end + "] with the interrupt set");
    }
    OpContext ctx = core.enter();
    Prealloc op = ctx.prealloc;
    op.begin(reclaiming);
    core.lock.lock();
    try {
      if (!core.locker.lock(start, end, bits, core.hint(cached), op, ctx.waiter, mode, deadline)) {
        return false;
      }
      core.remember(cached);
      long epoch = core.lockEpoch();
      grantStart = start;
      grantEnd = end;
      grantBits = bits & LOCK_BITS;
      grantEpoch = epoch;
      if (holder != null) {
        holder.hold(this, start, end, LOCKED, epoch);
      }
      return true;
    } finally {
      core.leave(ctx);
    }
  }

  // ---------------------------------------------------------------- unlock

  void unlock(long start, long end, int bits, @Nullable CachedState cached) {
    Args.lock(name, "unlock", start, end, bits);
    unlock(start, end, bits, cached, -1);
  }

  /**
   * Checks every byte of the range has the lock bits of {@code bits} unless the epoch proves it, then
   * clears {@code bits}, all in one critical section.
   *
   * @param knownEpoch the epoch at which the caller was granted exactly this range and these lock bits (a
   *     holder's), or -1
   */
  void unlock(long start, long end, int bits, @Nullable CachedState cached, long knownEpoch) {
    OpContext ctx = core.enter();
    Prealloc op = ctx.prealloc;
    op.begin(true);
    core.lock.lock();
    try {
      core.checkOpen();
      long hint = core.hint(cached);
      int lockBits = bits & LOCK_BITS;
      long epoch = core.lockEpoch();
      if (epoch == knownEpoch
          || (epoch == grantEpoch && grantStart <= start && end <= grantEnd && (grantBits & lockBits) == lockBits)) {
        uncheckedUnlocks++;
      } else {
        long missing = core.states.firstLacking(start, end, lockBits, hint);
        if (missing >= 0) {
          throw new IllegalStateException(name + ": unlock of [" + start + ", " + end + "] "
              + ExtentBits.toString(lockBits) + ": not locked from offset " + missing);
        }
      }
      core.clearSteps(start, end, TreeCore.expandClear(bits), null, hint, cached, op);
    } finally {
      core.leave(ctx);
    }
  }

  /**
   * Returns how many unlocks skipped the check because the lock epoch proved the range still locked. For
   * tests.
   */
  long uncheckedUnlocks() {
    core.lock.lock();
    try {
      return uncheckedUnlocks;
    } finally {
      core.lock.unlock();
    }
  }

  // ---------------------------------------------------------------- wait

  void waitForClear(long start, long end, int bits) {
    Args.lock(name, "waitForClear", start, end, bits);
    if ((bits & ~LOCK_BITS) != 0) {
      throw Args.bad(name, "waitForClear",
          "only lock bits can be waited for, not " + ExtentBits.toString(bits & ~LOCK_BITS));
    }
    OpContext ctx = core.enter();
    core.lock.lock();
    try {
      core.checkOpen();
      core.locker.awaitFree(start, end, bits, ctx.waiter, RangeLocker.UNINTERRUPTIBLE, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait interrupted", e);
    } finally {
      core.leave(ctx);
    }
  }
}
