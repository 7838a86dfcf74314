package io.github.slabkit.slab.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A thread's (or a virtual-thread stripe's) pair of magazines, Bonwick's "loaded" and "previous", with its
 * counters.
 *
 * <h2>Ownership</h2>
 * A platform thread's cache is touched only by its owner while the owner is alive; after the owner
 * terminates ({@code isAlive()} false, which synchronizes-with its last action) any thread may drain it. A
 * stripe has no owner: {@link #tryLock()} / {@link #unlock()} (acquire / release) hand it between virtual
 * threads.
 *
 * <h2>Memory ordering</h2>
 * Counters are written by the owner with {@code setOpaque} and read by {@code statistics()} with {@code
 * getOpaque}: no tearing, eventually visible, no fence on the fast path (opaque is a plain move on x86 and
 * ARM). {@link #flushRequested} is volatile: {@code shrink()} on another thread sets it and the owner acts
 * on it at its next slow-path operation.
 */
public final class ThreadCache {
  public Magazine loaded;
  public Magazine previous;
  final @Nullable Thread owner;

  long allocs;
  long frees;
  long slowAllocs;
  long slowFrees;
  long depotExchanges;

  volatile boolean flushRequested;
  @SuppressWarnings("unused") // accessed through LOCK
  private volatile int lockWord;

  ThreadCache(@Nullable Thread owner, int magazineSize) {
    this.owner = owner;
    this.loaded = new Magazine(magazineSize);
    this.previous = new Magazine(magazineSize);
  }

  /** Counts one allocation served by the fast path. */
  public void countAlloc() {
    ALLOCS.setOpaque(this, allocs + 1);
  }

  /** Counts one free served by the fast path. */
  public void countFree() {
    FREES.setOpaque(this, frees + 1);
  }

  void countSlowAlloc() {
    ALLOCS.setOpaque(this, allocs + 1);
    SLOW_ALLOCS.setOpaque(this, slowAllocs + 1);
  }

  void countSlowFree() {
    FREES.setOpaque(this, frees + 1);
    SLOW_FREES.setOpaque(this, slowFrees + 1);
  }

  void countExchange() {
    EXCHANGES.setOpaque(this, depotExchanges + 1);
  }

  long allocsOpaque() {
    return (long) ALLOCS.getOpaque(this);
  }

  long freesOpaque() {
    return (long) FREES.getOpaque(this);
  }

  long slowAllocsOpaque() {
    return (long) SLOW_ALLOCS.getOpaque(this);
  }

  long slowFreesOpaque() {
    return (long) SLOW_FREES.getOpaque(this);
  }

  long exchangesOpaque() {
    return (long) EXCHANGES.getOpaque(this);
  }

  /** Stripe lock: one CAS; never blocks. */
  public boolean tryLock() {
    return LOCK.compareAndSet(this, 0, 1);
  }

  /** Releases the stripe lock: a release store, so the next holder sees the magazines as left. */
  public void unlock() {
    LOCK.setRelease(this, 0);
  }

  boolean ownerTerminated() {
    Thread t = owner;
    return t != null && !t.isAlive();
  }

  // VarHandle mechanics
  private static final VarHandle ALLOCS;
  private static final VarHandle FREES;
  private static final VarHandle SLOW_ALLOCS;
  private static final VarHandle SLOW_FREES;
  private static final VarHandle EXCHANGES;
  private static final VarHandle LOCK;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      ALLOCS = l.findVarHandle(ThreadCache.class, "allocs", long.class);
      FREES = l.findVarHandle(ThreadCache.class, "frees", long.class);
      SLOW_ALLOCS = l.findVarHandle(ThreadCache.class, "slowAllocs", long.class);
      SLOW_FREES = l.findVarHandle(ThreadCache.class, "slowFrees", long.class);
      EXCHANGES = l.findVarHandle(ThreadCache.class, "depotExchanges", long.class);
      LOCK = l.findVarHandle(ThreadCache.class, "lockWord", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
