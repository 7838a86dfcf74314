package io.github.slabkit.mempool;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.LocalAllocator;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.mempool.internal.HoldAndWaitCheck;
import io.github.slabkit.mempool.internal.MempoolCore;
import io.github.slabkit.mempool.internal.PoolCounters;

/**
 * A {@link Mempool}'s allocation context for one thread ({@link Mempool#local()}): an allocation costs one
 * allocation from the backing allocator's context plus the pool's bookkeeping (a counter in this context,
 * the closed check, and checked mode's static switch), with no thread lookup.
 *
 * {@snippet :
 * try (MempoolLocal local = pool.local()) { // on the thread that uses it
 *   long h = local.allocate();              // never fails, as pool.allocate()
 *   local.free(h);
 * }
 * }
 *
 * <h2>Paths</h2>
 * The fast path is the backing allocator's context ({@link ObjectAllocator#local()}: a {@code SlabCache}'s
 * pops the thread's magazine; another allocator's default context delegates to it). When it has nothing at
 * hand, the allocation goes on exactly as {@link Mempool#tryAllocate()} and {@link Mempool#allocate()} do:
 * the reserve as far as the priority and waiters' claims let it reach, then (for {@code allocate}) the
 * pool's wait queue. A free refills the reserve while it is below {@code minNr} (waking a waiter), else it
 * goes to the backing context. Checked mode ({@code HoldAndWaitCheck}) sees every object taken and freed, as
 * through the pool.
 *
 * <h2>Ownership and what is checked</h2>
 * Every call compares {@code Thread.currentThread()} with the owner and throws {@link IllegalStateException}
 * naming both threads, before anything is touched; the backing context checks its own owner too. A context
 * is not thread safe. Objects allocated through it may be freed through the pool or another context.
 *
 * <h2>End of the context</h2>
 * {@link #close()} (owner only, idempotent) closes the backing context, which returns what it caches (a slab
 * cache's magazines); the counts stay in the pool's statistics. If the owner dies without closing, the
 * backing allocator reclaims as for any dead thread.
 *
 * <h2>Memory consistency</h2>
 * As {@link Mempool}: actions before a free happen-before the allocation that hands the object out again.
 */
public final class MempoolLocal implements LocalAllocator {
  private final Mempool pool;
  private final MempoolCore core;
  private final MempoolCore[] self;
  private final LocalAllocator backing;
  private final PoolCounters.ThreadCounters counters;
  private final String allocateOp;
  private final Thread owner = Thread.currentThread();
  /** Written and read by the owner only. */
  private boolean closed;

  MempoolLocal(
      Mempool pool, MempoolCore core, MempoolCore[] self, LocalAllocator backing, String allocateOp) {
    this.pool = pool;
    this.core = core;
    this.self = self;
    this.backing = backing;
    this.allocateOp = allocateOp;
    this.counters = core.newContextCounters();
  }

  /**
   * Allocates without waiting, as {@link Mempool#tryAllocate()}: the backing context, then the reserve.
   *
   * @return a handle, or {@code 0}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public long tryAllocate() {
    check("tryAllocate");
    long h = core.allocateFast(backing, counters, false);
    if (h == ObjectAllocator.NO_HANDLE) {
      core.countFailure();
    } else {
      HoldAndWaitCheck.took(core, h);
    }
    return h;
  }

  /**
   * Allocates as {@link Mempool#allocate()}: never fails; waits uninterruptibly in the pool's queue when the
   * backing context and the reserve have nothing.
   *
   * @return a handle, never {@code 0}
   * @throws IllegalStateException if called from another thread than the owner, after {@link #close()}, or
   *     in checked mode on hold-and-wait (see {@link Mempool#allocate()})
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public long allocate() {
    check("allocate");
    if (HoldAndWaitCheck.enabled()) {
      return allocateChecked(); // one read of the mode on the fast path, not three
    }
    long h = core.allocateFast(backing, counters, false);
    return h != ObjectAllocator.NO_HANDLE ? h : allocateSlow();
  }

  private long allocateChecked() {
    HoldAndWaitCheck.beforeAcquire(self, allocateOp);
    long h = core.allocateFast(backing, counters, false);
    if (h == ObjectAllocator.NO_HANDLE) {
      HoldAndWaitCheck.beforeBlocking(self, allocateOp);
      h = allocateSlow();
    }
    HoldAndWaitCheck.took(core, h);
    return h;
  }

  private long allocateSlow() {
    try {
      return pool.slowAllocate(false, false, 0, false);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait threw", e);
    }
  }

  /**
   * Allocates {@code n} objects, all or nothing, never failing, as {@link Mempool#allocateBulk(long[], int)}:
   * the pool's own bulk allocation, which waits holding nothing until all {@code n} can be had at once. (Not
   * one blocking {@link #allocate()} per object, as {@link LocalAllocator}'s default does: two contexts each
   * holding part of what they need and waiting for the rest would deadlock, and checked mode would refuse
   * the second blocking call as hold-and-wait.)
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= min(dst.length, minNr() - headroom)}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()};
   *     or as {@link Mempool#allocateBulk(long[], int)}
   * @throws IllegalArgumentException if {@code n} is negative, above {@code dst.length}, or above what an
   *     ordinary demand may take from the reserve
   * @throws AllocatorClosedException if the pool is closed and {@code n > 0}
   */
  @Override
  public void allocateBulk(long[] dst, int n) {
    allocateBulk(dst, n, AllocationPriority.NORMAL);
  }

  /**
   * Allocates {@code n} objects with the given priority, as {@link Mempool#allocateBulk(long[], int,
   * AllocationPriority)}.
   *
   * @param dst where the handles go
   * @param n how many, at most the priority's limit (see the pool's method)
   * @param priority how deep into the reserve the demand may reach
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()};
   *     or as the pool's method
   * @throws IllegalArgumentException as the pool's method
   * @throws AllocatorClosedException if the pool is closed and {@code n > 0}
   */
  public void allocateBulk(long[] dst, int n, AllocationPriority priority) {
    checkOwner("allocateBulk"); // the pool's method checks the sizes, then that it is open
    pool.allocateBulk(dst, n, priority);
  }

  /**
   * Frees an object, as {@link Mempool#free(long)}: into the reserve while it is below {@code minNr}, else
   * into the backing context.
   *
   * @param handle a handle of the pool's backing allocator, allocated and not yet freed
   * @throws InvalidHandleException if the backing allocator refuses the handle; nothing changes
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public void free(long handle) {
    check("free");
    // Ownership first: once the object is back in the pool another thread may take it and own it.
    HoldAndWaitCheck.Holdings held = HoldAndWaitCheck.disownedForFree(core, handle);
    try {
      core.free(handle, backing, counters);
    } catch (RuntimeException e) {
      // refused (a double free, a foreign handle, a debug report that keeps the object): its holder keeps it
      HoldAndWaitCheck.freeRefused(core, handle, held);
      throw e;
    }
  }

  /**
   * Returns the pool this context allocates from.
   *
   * @return the pool
   */
  public Mempool pool() {
    return pool;
  }

  @Override
  public Thread owner() {
    return owner;
  }

  /**
   * Ends the context and closes the backing allocator's context (see the class comment). Idempotent.
   *
   * @throws IllegalStateException if called from another thread than the owner
   */
  @Override
  public void close() {
    if (Thread.currentThread() != owner) {
      throw wrongThread("close");
    }
    if (!closed) {
      closed = true;
      core.retireContextCounters(counters); // its counts stay in the pool's statistics
      backing.close();
    }
  }

  private void check(String op) {
    checkOwner(op);
    core.checkOpen(op);
  }

  /** Throws if the caller is not the owner or the context is closed; the pool's state is not checked. */
  private void checkOwner(String op) {
    if (Thread.currentThread() != owner || closed) {
      throw misuse(op);
    }
  }

  private IllegalStateException misuse(String op) {
    if (Thread.currentThread() != owner) {
      return wrongThread(op);
    }
    return new IllegalStateException(
        core.name() + ": " + op + "() on a closed MempoolLocal; take a new one with pool.local()");
  }

  private IllegalStateException wrongThread(String op) {
    Thread t = Thread.currentThread();
    return new IllegalStateException(
        core.name() + ": " + op + "() on the MempoolLocal of thread '" + owner.getName() + "' (id "
            + owner.threadId() + ") from thread '" + t.getName() + "' (id " + t.threadId()
            + "); a context belongs to the thread that created it: call pool.local() on each thread, or"
            + " use the pool's own methods, which are thread safe");
  }

  @Override
  public String toString() {
    return "MempoolLocal[" + core.name() + ", owner " + owner.getName() + (closed ? ", closed]" : "]");
  }
}
