package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.NORESERVE;
import static io.github.slabkit.extent.ExtentBits.STATE_BITS;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.HookGuard;
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
 * allocator, the range locker, the position hints, the lock epoch, and the "search again" loops of set,
 * clear and convert; the range-lock family's entry points are in {@link TreeLocks}. Arguments are checked
 * by the facade; every entry point here takes the tree lock itself. Package-private so
 * that it can fill {@link RangeResult} and {@link CachedState} without exposing their setters.
 */
final class TreeCore {
  private static final ThreadLocal<OpContext> CONTEXT = ThreadLocal.withInitial(OpContext::new);

  final String name;
  final ReentrantLock lock = new ReentrantLock();
  final WaitQueue waiters = new WaitQueue();
  final StateAllocator alloc;
  /** The user's hooks behind a guard that keeps what they throw, or null without hooks. */
  final @Nullable HookGuard hookGuard;
  final StateStore states;
  final RangeLocker locker;
  /** The B+tree, when the states are kept in one (optimistic queries); else null. */
  final @Nullable NodeTree nodes;
  volatile boolean closed;
  // How many clears of lock bits ran (unlocks included), guarded by the tree lock; see lockEpoch().
  private long lockClears;
  // The tree's own position hint, guarded by the tree lock: valid while removals() == recentEpoch.
  private long recent;
  private long recentEpoch = -1;

  TreeCore(String name, ObjectAllocator pool, ObjectAllocator memory, ExtentHooks hooks, int leafCapacity,
      int fanout) {
    this.name = name;
    this.alloc = new StateAllocator(pool);
    @SuppressWarnings("ReferenceEquality") // the no-op singleton needs no guard, and the stores skip its calls
    HookGuard guard = hooks == ExtentHooks.NONE ? null : new HookGuard(hooks);
    this.hookGuard = guard;
    ExtentHooks seen = guard == null ? hooks : guard;
    this.states = leafCapacity == 0
        ? new StateTree(alloc, memory, seen, waiters)
        : new NodeTree(alloc, memory, seen, waiters, leafCapacity, fanout);
    this.nodes = states instanceof NodeTree n ? n : null;
    this.locker = new RangeLocker(lock, states, alloc, waiters, this::checkOpen, guard);
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
        rethrowHooks();
        awaitState(op);
      }
      remember(cached);
      rethrowHooks();
    } finally {
      leave(ctx);
    }
  }

  void clear(long start, long end, int bits, @Nullable RangeLog log, @Nullable CachedState cached) {
    OpContext ctx = enter();
    Prealloc op = ctx.prealloc;
    op.begin(true);
    lock.lock();
    try {
      checkOpen();
      clearSteps(start, end, bits, log, hint(cached), cached, op);
    } finally {
      leave(ctx);
    }
  }

  /**
   * Runs a clear under the tree lock, searching again after each wait for memory, and leaves the position
   * hints on the last state it touched. A clear of lock bits advances {@link #lockEpoch()}.
   */
  void clearSteps(long start, long end, int bits, @Nullable RangeLog log, long hint, @Nullable CachedState cached,
      Prealloc op) {
    boolean lockBits = (bits & LOCK_BITS) != 0;
    while (true) {
      if (lockBits) {
        // In every critical section that may remove lock bits: a lock granted while this clear waited
        // for memory may lie in what the clear removes next.
        lockClears++;
      }
      long r = states.clear(start, end, bits, log, hint, op);
      if (r < 0) {
        break;
      }
      start = r;
      hint = 0;
      rethrowHooks();
      awaitState(op);
    }
    remember(cached);
    rethrowHooks();
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
        rethrowHooks();
        awaitState(op);
      }
      remember(cached);
      rethrowHooks();
    } finally {
      leave(ctx);
    }
  }

  /**
   * Throws what a hook threw during the step that just ended, if one threw: the step completed, so the
   * tree is consistent, and the operation ends here, before it waits or when it is done.
   */
  private void rethrowHooks() {
    HookGuard g = hookGuard;
    if (g != null) {
      g.rethrow();
    }
  }

  /**
   * Drops the tree lock to wait for what the stopped step needs (one state, or a chain of nodes all or
   * nothing), holding nothing, then checks the tree is still open.
   */
  private void awaitState(Prealloc op) {
    // All or nothing with the operation's priority: a reclaiming step short of several nodes must not wait
    // for one at a time (see StateAllocator.awaitMany: with exactly one available it would spin).
    alloc.awaitMany(op, states.needed(), lock);
    checkOpen();
  }

  /** The bits a clear or unlock of {@code bits} removes: {@code CLEAR_ALL_BITS} and {@code DELALLOC} expand. */
  static int expandClear(int bits) {
    if ((bits & CLEAR_ALL_BITS) != 0) {
      bits |= STATE_BITS;
    }
    if ((bits & DELALLOC) != 0) {
      bits |= NORESERVE;
    }
    return bits;
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

  /** Enters an operation: refuses calls from a hook or visitor, checks the tree is open, returns the context. */
  OpContext enter() {
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
  void leave(OpContext ctx) {
    HookGuard g = hookGuard;
    if (g != null) {
      g.forget(); // the operation ends with another exception, which is the one reported
    }
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
      throw new AllocatorClosedException(
          name, "an operation on the extent tree", "the tree is closed and its states freed; build a new one");
    }
  }

  /**
   * Returns the lock epoch, under the tree lock: a count that every removal of lock bits advances (a clear
   * or unlock of lock bits, a lock's undo of the prefix it had locked). Lock bits are removed by nothing
   * else (a set only adds bits, a convert cannot name lock bits, states with lock bits never merge), so
   * while the epoch is unchanged every byte that had a lock bit still has it.
   */
  long lockEpoch() {
    return lockClears + locker.prefixUndos();
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
