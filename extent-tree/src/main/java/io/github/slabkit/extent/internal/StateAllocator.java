package io.github.slabkit.extent.internal;

import static io.github.slabkit.mempool.AllocationPriority.NORMAL;
import static io.github.slabkit.mempool.AllocationPriority.RECLAIMING;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.mempool.Mempool;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * How a tree's operations get and give back extent states: btrfs's lazy "search again" allocation, where
 * the liveness rules of the extent tree live.
 *
 * <h2>The protocol</h2>
 * An operation runs under the tree lock and asks for a state only at the point where it must split a
 * state or fill a hole ({@link #take}). The state comes, in this order, from the one the operation waited
 * for ({@link Prealloc#held()}), from the tree's stash of spare states, or from the pool without waiting
 * ({@code tryAllocate}, with the operation's priority). If none of these has one, {@link #take} returns
 * {@code 0} and the operation stops at a consistent point; the caller then calls {@link #await}, which
 * gives back everything the operation holds, drops the tree lock, waits for exactly one state, retakes the
 * lock, and the operation searches again from where it stopped. States the tree no longer needs (removed
 * by a clear or a merge) go to the stash while it has room and no thread of this tree waits for memory,
 * otherwise straight back to the pool, whose free wakes a waiter.
 *
 * <h2>Liveness rules kept here</h2>
 * <ul>
 *   <li><b>Frees never need memory.</b> An operation that needs no new state never calls the pool at all:
 *       no clear or unlock covering whole states, no set adding bits to whole states, waits for memory.
 *   <li><b>No hold-and-wait.</b> The only blocking call is the pool allocation in {@link #await}, and it is
 *       made with the tree lock released and nothing held: {@link Prealloc#held()} is empty (a
 *       {@link #take} that fails has used it), the stash was empty when {@link #take} failed, and states a
 *       concurrent operation frees while a thread of this tree waits bypass the stash. The stash belongs
 *       to the tree, not to a thread: a thread that waits holds none of it.
 *   <li><b>Reserve headroom.</b> Operations that give memory back (clear, unlock, convert, a flusher's
 *       lock) set {@link Prealloc#reclaiming()} and allocate with the mempool's reclaiming priority.
 * </ul>
 *
 * <h2>A pool that refuses a state back</h2>
 * If the pool's {@code free} throws (a misbehaving allocator, or a pool closed under the tree), the state is
 * not lost and the operation does not stop half-way: the state becomes one of the tree's <em>strays</em>,
 * which every later give-back offers to the pool again, and {@link #releaseStrays} at close reports those
 * still refused. A set or clear never fails for lack of memory, nor for a pool that will not take memory
 * back.
 *
 * <h2>Threading</h2>
 * Every method except the construction is called with the tree lock held; {@link #await} releases it
 * while it waits. Fields are plain: the tree lock orders them.
 */
public final class StateAllocator {
  /**
   * How long an operation whose demand exceeds what the mempool can grant at once pauses before it waits
   * again ({@link #awaitMany}): 1 ms.
   */
  public static final long CLAMPED_PAUSE_NANOS = 1_000_000L;

  /** The most spare states a tree keeps between operations. */
  public static final int STASH = 4;

  private final ObjectAllocator pool;
  private final @Nullable Mempool mempool;
  private final long[] stash = new long[STASH];
  private int stashCount;
  private int memoryWaiters;
  private long memoryWaits;
  private long poolAllocations;
  /** States the pool refused to take back, offered again at every give-back (see the class comment). */
  private long[] strays = new long[STASH];
  private int strayCount;
  private long refusedFrees;
  private @Nullable RuntimeException firstRefusal;

  /**
   * Creates the allocator of one tree.
   *
   * @param pool where states come from and go back to
   */
  public StateAllocator(ObjectAllocator pool) {
    this.pool = pool;
    this.mempool = pool instanceof Mempool m ? m : null;
  }

  /**
   * Returns a state for the operation to link into the tree now, without waiting: the one it waited for,
   * a spare one, or one from the pool if it has one at hand; {@code 0} if none (then the operation stops
   * and the caller calls {@link #await}).
   *
   * @param op the operation
   * @return a handle, or 0
   * @throws IllegalStateException if the operation may not allocate and needs a state (a bug)
   */
  public long take(Prealloc op) {
    if (op.heldCount > 0) {
      long h = op.held[--op.heldCount];
      op.held[op.heldCount] = 0;
      disown(h);
      return h;
    }
    long h;
    if (stashCount > 0) {
      h = stash[--stashCount];
      stash[stashCount] = 0;
      return h;
    }
    if (!op.mayAllocate) {
      throw new IllegalStateException("BUG: a step that needs no new extent state asked for one");
    }
    try {
      h = tryAllocate(op.reclaiming);
    } catch (RuntimeException | Error e) {
      // Not thrown from here: the step would stop wherever it was, a lock with its prefix locked (no one
      // would ever unlock it) and a B+tree split chain with the nodes taken before (lost). Returning 0
      // stops it at a consistent point, as when no state is at hand; await rethrows it before waiting.
      op.failure = e;
      return 0;
    }
    if (h != 0) {
      poolAllocations++;
      disown(h);
    }
    return h;
  }

  /**
   * Waits for one state, holding nothing: gives back what the operation holds, releases {@code treeLock},
   * allocates one state with the operation's priority (this may wait for another thread to free one),
   * retakes the lock and keeps the state in {@link Prealloc#held()} for the next {@link #take}. The tree
   * may have changed meanwhile: the caller searches again.
   *
   * @param op the operation
   * @param treeLock the tree lock, held by the caller
   */
  public void await(Prealloc op, ReentrantLock treeLock) {
    giveBack(op);
    rethrowFailure(op);
    memoryWaiters++;
    memoryWaits++;
    treeLock.unlock();
    long h;
    try {
      h = allocate(op.reclaiming);
    } finally {
      treeLock.lock();
      memoryWaiters--;
    }
    poolAllocations++;
    op.held[0] = h;
    op.heldCount = 1;
  }

  /**
   * Waits, holding nothing, for {@code n} states at once, all or nothing and with the operation's priority
   * (the mempool's {@link Mempool#allocateBulk(long[], int, io.github.slabkit.mempool.AllocationPriority)},
   * or the pool's {@link ObjectAllocator#allocateBulk} if it is not a mempool), as {@link #await} does for
   * one. For a step that needs several states (a lock that undid its prefix, a B+tree split chain): waiting
   * for one at a time, it could retry forever on states it keeps giving back, and when exactly one is
   * available it would do so without ever parking, holding the tree lock nearly all the time and its carrier
   * all the time (a virtual thread), so that no one else could free what it lacks.
   *
   * <p>A mempool grants at once at most what its reserve may hold for the priority ({@code minNr -
   * headroom} for an ordinary operation, {@code minNr} for a reclaiming one). A larger demand (a lock over
   * more holes than that, possible only while the backing allocator has room) waits for that many, the
   * most the pool can promise, after a pause of {@link #CLAMPED_PAUSE_NANOS} when the wait before it left the
   * demand short too: such a wait may be served at once and the retry still miss states, and the pause lets
   * the threads that would free them run.
   *
   * @param op the operation
   * @param n the states it needs, {@code >= 1}
   * @param treeLock the tree lock, held by the caller
   */
  public void awaitMany(Prealloc op, int n, ReentrantLock treeLock) {
    if (n <= 1) {
      await(op, treeLock);
      return;
    }
    Mempool m = mempool;
    int k = n;
    boolean clamped = false;
    if (m != null) {
      int limit = m.minNr() - (op.reclaiming ? 0 : m.headroom());
      if (n > limit) {
        k = Math.max(1, limit);
        clamped = true;
      }
    }
    giveBack(op);
    rethrowFailure(op);
    if (op.held.length < k) {
      op.held = new long[Math.max(k, 2 * op.held.length)];
    }
    memoryWaiters++;
    memoryWaits++;
    treeLock.unlock();
    try {
      if (clamped && op.clampedWaits++ > 0) {
        LockSupport.parkNanos(this, CLAMPED_PAUSE_NANOS);
      }
      if (m == null) {
        pool.allocateBulk(op.held, k);
      } else if (k == 1) {
        op.held[0] = allocate(op.reclaiming);
      } else {
        m.allocateBulk(op.held, k, op.reclaiming ? RECLAIMING : NORMAL);
      }
    } finally {
      treeLock.lock();
      memoryWaiters--;
    }
    poolAllocations += k;
    op.heldCount = k;
  }

  /** Throws what the pool threw at a {@link #take} of the step that stopped, if it threw. */
  private static void rethrowFailure(Prealloc op) {
    Throwable f = op.failure;
    if (f != null) {
      op.failure = null;
      if (f instanceof Error e) {
        throw e;
      }
      throw (RuntimeException) f;
    }
  }

  /**
   * Takes back a state the tree no longer uses: into the stash if it has room and no thread of this tree
   * waits for memory, else to the pool.
   *
   * @param h the state, already unlinked
   */
  public void free(long h) {
    if (stashCount < STASH && memoryWaiters == 0) {
      stash[stashCount++] = h;
    } else {
      release(h);
    }
  }

  /**
   * Gives a state to the pool. Never throws: a state the pool refuses (its {@code free} throws) is kept as a
   * stray, offered again at the next give-back and at close. Callers free in the middle of a change of the
   * tree, where an exception would leave it half-changed.
   *
   * @param h the state, no longer part of the tree
   */
  public void release(long h) {
    try {
      pool.free(h);
    } catch (RuntimeException e) {
      if (strayCount == strays.length) {
        strays = Arrays.copyOf(strays, 2 * strays.length);
      }
      strays[strayCount++] = h;
      refusedFrees++;
      if (firstRefusal == null) {
        firstRefusal = e;
      }
    }
  }

  /** Offers the strays to the pool again; those it still refuses stay. */
  private void retryStrays() {
    int n = strayCount;
    strayCount = 0;
    for (int i = 0; i < n; i++) {
      long h = strays[i];
      strays[i] = 0;
      try {
        pool.free(h);
      } catch (RuntimeException e) {
        strays[strayCount++] = h; // strayCount <= i: no slot not yet read is overwritten
      }
    }
  }

  /**
   * At close, after every state went to the pool: offers the strays once more and reports those the pool
   * still refuses.
   *
   * @param treeName the tree's name, for the message
   * @return an exception naming how many states the pool would not take back, with its first refusal as
   *     the cause, or null if there are none
   */
  public @Nullable IllegalStateException releaseStrays(String treeName) {
    retryStrays();
    if (strayCount == 0) {
      return null;
    }
    IllegalStateException e = new IllegalStateException(treeName + ": the state pool refused to take back "
        + strayCount + " extent state(s) at close (" + refusedFrees + " refusal(s) in all, each retried at every"
        + " later operation); they stay allocated in the pool. The first refusal is the cause: fix the pool's"
        + " free, or close the pool, which releases them");
    if (firstRefusal != null) {
      e.initCause(firstRefusal);
    }
    return e;
  }

  /**
   * Ends an operation, or a step before it waits: what it still holds goes to the stash or the pool.
   *
   * @param op the operation
   */
  public void giveBack(Prealloc op) {
    while (op.heldCount > 0) {
      long h = op.held[--op.heldCount];
      op.held[op.heldCount] = 0;
      disown(h);
      free(h);
    }
    if (strayCount > 0) {
      retryStrays();
    }
  }

  /** Returns every spare state to the pool (close); one the pool refuses becomes a stray. */
  public void freeStash() {
    int n = stashCount;
    stashCount = 0;
    for (int i = 0; i < n; i++) {
      long h = stash[i];
      stash[i] = 0;
      release(h);
    }
  }

  /**
   * Returns the number of spare states kept.
   *
   * @return the stash size
   */
  public int stashed() {
    return stashCount;
  }

  /**
   * Returns how many threads of this tree wait for memory now.
   *
   * @return the count
   */
  public int memoryWaiters() {
    return memoryWaiters;
  }

  /**
   * Returns how many times an operation dropped the tree lock to wait for a state.
   *
   * @return the count
   */
  public long memoryWaits() {
    return memoryWaits;
  }

  /**
   * Returns the strays: states the pool refused to take back, held by the tree and offered again at every
   * give-back and at close.
   *
   * @return the count
   */
  public int strayCount() {
    return strayCount;
  }

  /**
   * Returns how many states' frees the pool refused; a stray refused again when offered again is not counted
   * again.
   *
   * @return the count
   */
  public long refusedFrees() {
    return refusedFrees;
  }

  /**
   * Returns how many states came from the pool (not from the stash).
   *
   * @return the count
   */
  public long poolAllocations() {
    return poolAllocations;
  }

  private long tryAllocate(boolean reclaiming) {
    Mempool m = mempool;
    return m != null ? m.tryAllocate(reclaiming ? RECLAIMING : NORMAL) : pool.tryAllocate();
  }

  private long allocate(boolean reclaiming) {
    Mempool m = mempool;
    return m != null ? m.allocate(reclaiming ? RECLAIMING : NORMAL) : pool.allocate();
  }

  /** The state now belongs to the tree, not to the thread that allocated it (the mempool's checked mode). */
  private void disown(long h) {
    Mempool m = mempool;
    if (m != null) {
      m.disown(h);
    }
  }
}
