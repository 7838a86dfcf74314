package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Range locks on the lock bits of one tree: btrfs's {@code lock_extent} and {@code wait_extent_bit},
 * built around the tree's {@link WaitQueue}.
 *
 * <h2>Algorithm</h2>
 * A lock sets its exclusive bits on the whole range in one pass ({@link StateTree#set} with exclusive
 * bits). The pass stops early in two cases, and in both the lock first undoes the prefix it has locked,
 * gives back every state it holds, and only then waits, before it retries the whole range:
 * <ul>
 *   <li>it meets a state carrying one of the bits (a conflict): it waits, on the {@link WaitQueue}, until
 *       no byte from the conflicting offset to the end of the range has those bits;
 *   <li>it needs a new state and none is at hand without waiting: it waits, all or nothing, for as many
 *       states as the whole range needs ({@link StateAllocator#awaitMany}), with the operation's priority:
 *       a lock that gives memory back ({@link Prealloc#reclaiming()}) may take the mempool's headroom.
 * </ul>
 * So a thread never waits, for memory or for another range, while it holds part of a range: a flusher
 * that must lock a range to clear it can never wait for a holder that itself waits for memory.
 *
 * <p>Undoing a prefix needs no memory: the prefix starts where the pass split or filled a hole and ends
 * where a state starts (a conflicting state, a hole, or a state that must be split at the range end), and
 * states with lock bits never merge, so clearing the bits from it touches whole states only. The undo and
 * the second pass of a lock with extra bits run with allocation forbidden ({@link
 * Prealloc#mayAllocate(boolean)}), which turns a violation of this argument into an error instead of a
 * wait.
 *
 * <h2>Threading</h2>
 * Every method is called with the tree lock held and returns with it held; waits release it. A waiter is
 * queued in the same critical section in which it saw the conflicting bits, and a clear of lock bits wakes
 * it in its own critical section, so no wake-up is lost.
 */
public final class RangeLocker {
  /** Wait as long as it takes; an interrupt is restored on return. */
  public static final int UNINTERRUPTIBLE = 0;
  /** Wait until the range is free or the thread is interrupted. */
  public static final int INTERRUPTIBLE = 1;
  /** Do not wait for other range locks (memory may still be waited for, holding nothing). */
  public static final int TRY = 2;
  /** Wait until the range is free or a deadline passes, or the thread is interrupted. */
  public static final int TIMED = 3;

  private final ReentrantLock lock;
  private final StateStore states;
  private final StateAllocator alloc;
  private final WaitQueue waiters;
  private final Runnable openCheck;
  private final @Nullable HookGuard hooks;
  private long prefixUndos;

  /**
   * Creates the locker of one tree.
   *
   * @param lock the tree lock
   * @param states the states
   * @param alloc the tree's state allocator
   * @param waiters the tree's wait queue
   * @param openCheck throws if the tree was closed; run after every wait
   * @param hooks the guard of the tree's hooks, or null without hooks
   */
  public RangeLocker(ReentrantLock lock, StateStore states, StateAllocator alloc, WaitQueue waiters,
      Runnable openCheck, @Nullable HookGuard hooks) {
    this.lock = lock;
    this.states = states;
    this.alloc = alloc;
    this.waiters = waiters;
    this.openCheck = openCheck;
    this.hooks = hooks;
  }

  /**
   * Locks {@code [start, end]} with the lock bits of {@code bits}, then sets its other bits.
   *
   * @param start first offset
   * @param end last offset
   * @param bits at least one lock bit, plus bits to set once the range is held
   * @param hint a cached state or 0
   * @param op the running operation
   * @param w the thread's waiter
   * @param mode {@link #UNINTERRUPTIBLE}, {@link #INTERRUPTIBLE}, {@link #TRY} or {@link #TIMED}
   * @param deadline the {@link System#nanoTime()} deadline in {@link #TIMED} mode
   * @return whether the range is locked; if not, no byte of it is locked by this call
   * @throws InterruptedException if interrupted while waiting in an interruptible mode; nothing is held
   */
  public boolean lock(long start, long end, int bits, long hint, Prealloc op, WaitQueue.Waiter w, int mode,
      long deadline) throws InterruptedException {
    int exclusive = bits & LOCK_BITS;
    while (true) {
      openCheck.run();
      long r = states.set(start, end, exclusive, exclusive, null, hint, op);
      hint = 0;
      if (r == StateStore.DONE) {
        int extra = bits & ~exclusive;
        if ((extra & ~CTL_BITS) != 0) {
          noAllocationStep(states.set(start, end, extra, 0, null, 0, noAlloc(op)), op, "the extra bits of a lock");
        }
        HookGuard g = hooks;
        if (g != null && g.failed()) {
          // A hook threw: the caller gets the exception, so it must not hold the range (no one would
          // unlock it). The lock split the states at both ends, so this clear needs no memory.
          prefixUndos++;
          noAllocationStep(states.clear(start, end, exclusive, null, 0, noAlloc(op)), op, "a failed lock's undo");
          g.rethrow();
        }
        return true;
      }
      boolean conflict = r == StateStore.CONFLICT;
      long stop = conflict ? states.failedStart() : r;
      if (stop > start) {
        prefixUndos++;
        noAllocationStep(states.clear(start, stop - 1, exclusive, null, 0, noAlloc(op)), op, "a lock's undo");
      }
      alloc.giveBack(op); // hold nothing while waiting
      HookGuard g = hooks;
      if (g != null) {
        g.rethrow(); // a hook threw in the pass or the undo: end here, holding no part of the range
      }
      if (!conflict) {
        // All or nothing for what the whole range needs now, beyond the spare states: waiting for one
        // state at a time could retry forever on the states this undo just gave back.
        long need = Math.max(states.needed(), states.statesNeeded(start, end, exclusive) - alloc.stashed());
        // With the operation's priority: a flusher's lock (reclaiming) may take the headroom it is owed.
        alloc.awaitMany(op, (int) Math.max(1, Math.min(Integer.MAX_VALUE, need)), lock);
        continue;
      }
      if (mode == TRY) {
        return false;
      }
      if (!awaitFree(stop, end, exclusive, w, mode, deadline)) {
        return false;
      }
    }
  }

  /**
   * Waits until no byte of {@code [from, end]} has one of {@code bits} (btrfs {@code wait_extent_bit}),
   * holding nothing but the tree lock, which it releases while parked.
   *
   * @param from first offset
   * @param end last offset
   * @param bits lock bits
   * @param w the thread's waiter
   * @param mode {@link #UNINTERRUPTIBLE}, {@link #INTERRUPTIBLE} or {@link #TIMED}
   * @param deadline the deadline in {@link #TIMED} mode
   * @return true once free, false on timeout
   * @throws InterruptedException if interrupted in an interruptible mode
   */
  public boolean awaitFree(long from, long end, int bits, WaitQueue.Waiter w, int mode, long deadline)
      throws InterruptedException {
    while (true) {
      long first = states.firstStartWithin(from, end, bits);
      if (first < 0) {
        return true;
      }
      from = Math.max(from, first);
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
              w.swallowedInterrupt = true;
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
        return false;
      }
      openCheck.run();
    }
  }

  /**
   * Returns how many times a lock undid a locked prefix before waiting.
   *
   * @return the count
   */
  public long prefixUndos() {
    return prefixUndos;
  }

  private static Prealloc noAlloc(Prealloc op) {
    op.mayAllocate(false);
    return op;
  }

  private static void noAllocationStep(long r, Prealloc op, String what) {
    op.mayAllocate(true);
    if (r != StateStore.DONE) {
      throw new IllegalStateException("BUG: " + what + " stopped at " + r);
    }
  }
}
