package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.NodeTree;
import io.github.slabkit.extent.internal.OpContext;
import io.github.slabkit.extent.internal.Prealloc;
import io.github.slabkit.extent.internal.RangeLocker;
import io.github.slabkit.extent.internal.RangeLog;
import io.github.slabkit.extent.internal.StateAllocator;
import io.github.slabkit.extent.internal.StateStore;
import io.github.slabkit.extent.internal.StateTree;
import io.github.slabkit.extent.internal.WaitQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The running parts of one {@link ExtentTree} behind its facade: the tree lock, the states, the state
 * allocator, the range locker, the position hints, and the "search again" loops of set, clear and convert.
 * Arguments are checked by the facade; every method here takes the tree lock itself. Package-private so
 * that it can fill {@link RangeResult} and {@link CachedState} without exposing their setters.
 */
final class TreeCore {
  private static final ThreadLocal<OpContext> CONTEXT = ThreadLocal.withInitial(OpContext::new);

  final String name;
  final ReentrantLock lock = new ReentrantLock();
  final WaitQueue waiters = new WaitQueue();
  final StateAllocator alloc;
  final StateStore states;
  final RangeLocker locker;
  /** The B+tree, when the states are kept in one (optimistic queries); else null. */
  final @Nullable NodeTree nodes;
  volatile boolean closed;
  // The tree's own position hint, guarded by the tree lock: valid while removals() == recentEpoch.
  private long recent;
  private long recentEpoch = -1;

  TreeCore(String name, ObjectAllocator pool, ObjectAllocator memory, ExtentHooks hooks, int leafCapacity,
      int fanout) {
    this.name = name;
    this.alloc = new StateAllocator(pool);
    this.states = leafCapacity == 0
        ? new StateTree(alloc, memory, hooks, waiters)
        : new NodeTree(alloc, memory, hooks, waiters, leafCapacity, fanout);
    this.nodes = states instanceof NodeTree n ? n : null;
    this.locker = new RangeLocker(lock, states, alloc, waiters, this::checkOpen);
  }

  // ---------------------------------------------------------------- changes

  void set(long start, long end, int bits, @Nullable RangeLog log, @Nullable CachedState cached) {
    OpContext ctx = enter();
    Prealloc op = ctx.prealloc;
    op.begin(false);
    lock.lock();
    try {
      checkOpen();
      long hint = hint(cached);
      long r;
      while ((r = states.set(start, end, bits, 0, log, hint, op)) >= 0) {
        start = r;
        hint = 0;
        awaitState(op);
      }
      remember(cached);
    } finally {
      leave(ctx);
    }
  }

  void clear(long start, long end, int bits, @Nullable RangeLog log, @Nullable CachedState cached,
      boolean checkLocked) {
    OpContext ctx = enter();
    Prealloc op = ctx.prealloc;
    op.begin(true);
    lock.lock();
    try {
      checkOpen();
      long hint = hint(cached);
      if (checkLocked) {
        int lockBits = bits & LOCK_BITS;
        long missing = states.firstLacking(start, end, lockBits, hint);
        if (missing >= 0) {
          throw new IllegalStateException(name + ": unlock of [" + start + ", " + end + "] "
              + ExtentBits.toString(lockBits) + ": not locked from offset " + missing);
        }
      }
      long r;
      while ((r = states.clear(start, end, bits, log, hint, op)) >= 0) {
        start = r;
        hint = 0;
        awaitState(op);
      }
      remember(cached);
    } finally {
      leave(ctx);
    }
  }

  void convert(long start, long end, int bits, int clearBits, @Nullable CachedState cached) {
    OpContext ctx = enter();
    Prealloc op = ctx.prealloc;
    op.begin(true);
    lock.lock();
    try {
      checkOpen();
      long hint = hint(cached);
      long r;
      while ((r = states.convert(start, end, bits, clearBits, hint, op)) >= 0) {
        start = r;
        hint = 0;
        awaitState(op);
      }
      remember(cached);
    } finally {
      leave(ctx);
    }
  }

  boolean lockRange(long start, long end, int bits, @Nullable CachedState cached, int mode, long nanos,
      boolean reclaiming) throws InterruptedException {
    long deadline = mode == RangeLocker.TIMED ? System.nanoTime() + nanos : 0L;
    if ((mode == RangeLocker.INTERRUPTIBLE || mode == RangeLocker.TIMED) && Thread.interrupted()) {
      throw new InterruptedException(name + ": lock of [" + start + ", " + end + "] with the interrupt set");
    }
    OpContext ctx = enter();
    Prealloc op = ctx.prealloc;
    op.begin(reclaiming);
    lock.lock();
    try {
      boolean locked = locker.lock(start, end, bits, hint(cached), op, ctx.waiter, mode, deadline);
      if (locked) {
        remember(cached);
      }
      return locked;
    } finally {
      leave(ctx);
    }
  }

  void waitForClear(long start, long end, int bits) {
    OpContext ctx = enter();
    lock.lock();
    try {
      checkOpen();
      locker.awaitFree(start, end, bits, ctx.waiter, RangeLocker.UNINTERRUPTIBLE, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait interrupted", e);
    } finally {
      leave(ctx);
    }
  }

  /**
   * Drops the tree lock to wait for what the stopped step needs (one state, or a chain of nodes all or
   * nothing), holding nothing, then checks the tree is still open.
   */
  private void awaitState(Prealloc op) {
    int n = states.needed();
    if (n > 1 && op.reclaiming()) {
      // A mempool's bulk wait has no priority, so it could not reach the headroom that an operation giving
      // memory back is owed: wait for one node with the reclaiming priority instead; the step then takes
      // the rest from the headroom without waiting (tryAllocate with the same priority) when it retries.
      alloc.await(op, lock);
    } else {
      alloc.awaitMany(op, n, lock);
    }
    checkOpen();
  }

  // ---------------------------------------------------------------- entry and exit

  /** Takes the tree lock for a query. */
  void lockTree() {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(name + ": hooks and visitors must not call into their tree");
    }
    lock.lock();
  }

  /**
   * Checks a query is not made from a hook or visitor of this tree, and returns the thread's context. A
   * thread runs user code under a tree lock only inside an operation or a visit, both marked in its
   * context, so only then is the lock's owner read: an optimistic reader does not touch the lock's cache
   * line, which the writer changes on every operation.
   */
  OpContext queryContext() {
    OpContext ctx = CONTEXT.get();
    if ((ctx.busy || ctx.visiting > 0) && lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(name + ": hooks and visitors must not call into their tree");
    }
    return ctx;
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

  /** Gives back what the operation holds, drops the tree lock, and restores a swallowed interrupt. */
  private void leave(OpContext ctx) {
    try {
      alloc.giveBack(ctx.prealloc);
    } finally {
      lock.unlock();
      ctx.busy = false;
      if (ctx.waiter.takeSwallowedInterrupt()) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
  }

  // ---------------------------------------------------------------- position hints

  /**
   * The handle to start from: the caller's hint if it is still valid, else the tree's own hint (the last
   * state any operation touched), which makes lock-then-unlock of one range and sequential work skip the
   * search even without a {@link CachedState}. A hint is valid while no state has been removed since it
   * was recorded, so the handle is still a state of this tree; the tree checks that it covers the offset.
   */
  long hint(@Nullable CachedState cached) {
    long removals = states.removals();
    if (cached != null && cached.owner == this && cached.epoch == removals) {
      return cached.handle;
    }
    return recentEpoch == removals ? recent : 0;
  }

  void remember(@Nullable CachedState cached) {
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

  void rememberState(@Nullable CachedState cached, long h) {
    if (cached != null) {
      cached.owner = this;
      cached.handle = h;
      cached.epoch = states.removals();
    }
  }
}
