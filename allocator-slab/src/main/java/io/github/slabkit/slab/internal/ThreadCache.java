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
 * Counters are written only by the owner and read by {@code statistics()} with {@code getOpaque}. The two
 * of the fast path ({@link #allocs}, {@link #frees}) are plain stores: an opaque store is a plain move too,
 * but the JIT may not keep other fields in registers across it, so it cost every allocation and free the
 * reloads of the magazine's fields. A {@code long} store is single-copy atomic on the 64-bit platforms JDK
 * 25 runs on, so a reader sees some count the owner wrote, not a torn one. It sees the latest once the owner
 * synchronizes with it (a lock, a volatile, the owner's end) and in practice at once; the figures are exact
 * once the owners are quiescent (after {@code join}). The slow path's counters keep {@code setOpaque}.
 * {@link #flushRequested} is volatile: {@code shrink()} on another thread sets it and the owner acts on it at
 * its next slow-path operation.
 */
public final class ThreadCache {
  Magazine loaded;
  Magazine previous;
  final @Nullable Thread owner;
  /**
   * {@code owner.threadId()}, or {@code -1} for a stripe. Thread ids are never reused, so the thread lookup
   * compares this with the id it has already loaded to index the table, instead of loading and decoding the
   * owner reference.
   */
  final long ownerId;
  /** Where this cache's slow paths go (one way: thread cache, depot, slab layer). */
  private final MagazineDepot depot;

  long allocs;
  long frees;
  long slowAllocs;
  long slowFrees;
  long depotExchanges;

  /**
   * The value of {@link #allocs} at which the next leak sample is due ({@link LeakSampler}); owner only.
   * The allocation counter is the sampling clock, so sampling costs the fast path one compare and no store
   * of its own; {@link SlabLayer#own(ThreadCache, long)} samples the object that reaches it. Bulk
   * allocations, which the depot counts instead, advance the clock with {@link #advanceSampleClock}.
   */
  private long sampleAt;

  volatile boolean flushRequested;
  @SuppressWarnings("unused") // accessed through LOCK
  private volatile int lockWord;

  ThreadCache(MagazineDepot depot, @Nullable Thread owner, int magazineSize) {
    this.depot = depot;
    this.owner = owner;
    this.ownerId = owner == null ? -1 : owner.threadId();
    this.loaded = new Magazine(magazineSize);
    this.previous = new Magazine(magazineSize);
    this.sampleAt = depot.firstSampleCountdown();
  }

  /**
   * Returns whether the allocation just counted is the one to sample; owner only.
   *
   * @return whether this allocation is to be sampled
   */
  boolean sampleDue() {
    return allocs >= sampleAt;
  }

  void rearmSample(int countdown) {
    sampleAt = allocs + countdown;
  }

  /**
   * Moves the next leak sample one allocation closer, for an object allocated in bulk through this cache
   * (which the depot counts, not {@link #allocs}); owner only. Call it before marking the object.
   */
  public void advanceSampleClock() {
    sampleAt--;
  }

  /**
   * Allocates for the caller and marks the object owned ({@link SlabLayer#own(ThreadCache, long)}): the
   * fast path pops the loaded magazine with no atomic instruction and no test of the handle; when the
   * magazine is empty, the depot's slow path (previous magazine, a full one from the depot, then the slabs).
   *
   * @param layer the cache's slab layer, which keeps the ownership marks
   * @param mode {@link SlabLayer#NOWAIT} or {@link SlabLayer#BLOCKING}
   * @return an owned handle, or 0 if none could be had in this mode
   */
  public long allocateOwned(SlabLayer layer, int mode) {
    Magazine m = loaded;
    int c = m.count;
    if (c > 0) {
      m.count = --c;
      countAlloc();
      long h = m.handles[c];
      layer.own(this, h);
      return h;
    }
    try {
      return allocateOwnedSlow(layer, mode, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
  }

  /**
   * {@link #allocateOwned(SlabLayer, int)} in any mode, {@link SlabLayer#TIMED} included.
   *
   * @param layer the cache's slab layer, which keeps the ownership marks
   * @param mode the growth mode
   * @param timeoutNanos the wait limit of a timed allocation
   * @return an owned handle, or 0
   * @throws InterruptedException if a timed wait is interrupted; nothing is held then
   */
  public long allocateOwned(SlabLayer layer, int mode, long timeoutNanos) throws InterruptedException {
    if (loaded.count > 0) {
      return allocateOwned(layer, mode);
    }
    return allocateOwnedSlow(layer, mode, timeoutNanos);
  }

  private long allocateOwnedSlow(SlabLayer layer, int mode, long timeoutNanos) throws InterruptedException {
    long h = depot.allocateSlow(this, mode, timeoutNanos);
    if (h != 0) {
      layer.own(this, h);
    }
    return h;
  }

  /**
   * Frees a handle the caller has validated into this cache, which the caller owns: pushes it onto the
   * loaded magazine; when that is full, the depot's slow path.
   *
   * @param handle a validated handle
   */
  public void free(long handle) {
    Magazine m = loaded;
    int c = m.count;
    long[] hs = m.handles;
    // Unsigned (c is never negative): the comparison of the allocation's implicit range check on hs, which
    // the JIT then folds this test into when an allocation and this free are compiled together.
    if (Integer.compareUnsigned(c, hs.length) < 0) {
      hs[c] = handle;
      m.count = c + 1;
      countFree();
      return;
    }
    depot.freeSlow(this, handle);
  }

  /**
   * Returns whether this cache belongs to {@code t} (a platform thread's cache, or a context's).
   *
   * @param t a thread
   * @return whether {@code t} owns it
   */
  public boolean ownedBy(Thread t) {
    return owner == t;
  }

  /** Counts one allocation served by the fast path. */
  void countAlloc() {
    allocs++; // plain: see the class comment
  }

  /** Counts one free served by the fast path. */
  void countFree() {
    frees++;
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
