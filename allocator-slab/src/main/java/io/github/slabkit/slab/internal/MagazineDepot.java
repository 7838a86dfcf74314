package io.github.slabkit.slab.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;
import org.jspecify.annotations.Nullable;

/**
 * The magazine layer (Bonwick and Adams, "Magazines and Vmem", USENIX 2001): per-thread magazine pairs over
 * a shared depot of full and empty magazines, over the {@link SlabLayer}.
 *
 * <h2>Implementation overview</h2>
 * A platform thread allocates from and frees into its own {@link ThreadCache} (found through a {@link
 * ThreadLocal}) with no atomic instruction: the fast path is in {@code SlabCache}. This class holds the slow
 * paths. When the loaded magazine is empty, the previous one is tried, then a full magazine is taken from
 * the depot (its empty one given back), and only then is the slab layer locked to refill. A free into two
 * full magazines pushes one to the depot and takes an empty one; when the depot is full the magazine is
 * spilled into the slabs. A free on another thread than the allocating one lands in the freeing thread's
 * magazine, so a producer/consumer pair exchanges whole magazines through the depot.
 *
 * <p>Virtual threads do not get a ThreadLocal cache (millions of them would each pin a magazine pair): they
 * use a fixed array of striped caches, chosen by thread id and taken with a try-lock CAS; when both tried
 * stripes are busy the operation goes straight to the slab layer.
 *
 * <p>Caches of platform threads are kept in a registry so that {@code shrink()} and {@code close()} can
 * reach them: a terminated owner's magazines are drained by whoever finds it dead; a live owner is asked
 * (volatile flag) to flush at its next slow-path operation.
 *
 * <h2>Memory ordering</h2>
 * A magazine moves between threads only through the depot's {@link MpmcAtomicArrayQueue} (offer is a release
 * store of the element, poll an acquire load), through a stripe's lock (CAS acquire, release store), or
 * through the slab layer's lock; each is a happens-before edge, so the object bytes written before a free are
 * visible to the thread that next allocates the object.
 */
public final class MagazineDepot {
  private final SlabLayer layer;
  private final int magazineSize;
  private final MpmcAtomicArrayQueue<Magazine> fulls;
  private final MpmcAtomicArrayQueue<Magazine> empties;
  private final ThreadLocal<ThreadCache> local;
  private static final int BY_THREAD = 1024;
  private final @Nullable ThreadCache[] byThread = new ThreadCache[BY_THREAD];
  private final ThreadCache[] stripes;
  private final int stripeMask;

  private final ReentrantLock registryLock = new ReentrantLock();
  private final List<ThreadCache> registry = new ArrayList<>();
  private int reapAt = 64;
  private long retiredAllocs;
  private long retiredFrees;
  private long retiredSlowAllocs;
  private long retiredSlowFrees;
  private long retiredExchanges;

  private final AtomicLong directAllocs = new AtomicLong();
  private final AtomicLong directFrees = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  public MagazineDepot(SlabLayer layer, int magazineSize, int depotMagazines) {
    this.layer = layer;
    this.magazineSize = magazineSize;
    this.fulls = new MpmcAtomicArrayQueue<>(depotMagazines);
    this.empties = new MpmcAtomicArrayQueue<>(depotMagazines);
    int n = Integer.highestOneBit(Math.max(4, Runtime.getRuntime().availableProcessors() * 4) - 1) << 1;
    this.stripes = new ThreadCache[n];
    for (int i = 0; i < n; i++) {
      stripes[i] = new ThreadCache(this, null, magazineSize);
    }
    this.stripeMask = n - 1;
    this.local = ThreadLocal.withInitial(this::register);
  }

  /** The countdown to a new thread cache's first leak sample. */
  int firstSampleCountdown() {
    return layer.leakSampler().nextCountdown();
  }

  /**
   * The calling platform thread's cache. A thread-id indexed table answers most lookups with fewer
   * dependent loads than {@link ThreadLocal#get()}; a slot whose cache belongs to another thread (ids that
   * collide modulo the table size) falls back to the ThreadLocal.
   */
  public ThreadCache local(Thread t) {
    long id = t.threadId();
    @Nullable ThreadCache[] table = byThread;
    // Masking with length - 1 (BY_THREAD is a power of two) lets the JIT drop the range check.
    ThreadCache tc = table[(int) id & (table.length - 1)];
    if (tc != null && tc.ownerId == id) { // ids are unique for the life of the JVM: the cache is t's
      return tc;
    }
    return localSlow(t);
  }

  private ThreadCache localSlow(Thread t) {
    ThreadCache tc = local.get();
    int i = (int) t.threadId() & (BY_THREAD - 1);
    ThreadCache cur = byThread[i];
    // Claim the slot only if it is free or its owner is dead, so two live threads with colliding ids do
    // not keep overwriting it (one of them uses the ThreadLocal path). A racy plain store is safe: readers
    // use a cache only if its final owner field is their own thread.
    if (cur == null || cur.ownerTerminated()) {
      byThread[i] = tc;
    }
    return tc;
  }

  /** A locked stripe for the calling virtual thread, or null if the two tried are busy. */
  public @Nullable ThreadCache lockStripe() {
    int i = (int) Thread.currentThread().threadId() & stripeMask;
    ThreadCache s = stripes[i];
    if (s.tryLock()) {
      return s;
    }
    s = stripes[(i + 1) & stripeMask];
    return s.tryLock() ? s : null;
  }

  private ThreadCache register() {
    ThreadCache tc = new ThreadCache(this, Thread.currentThread(), magazineSize);
    registryLock.lock();
    try {
      registry.add(tc);
      if (registry.size() >= reapAt) {
        reapDeadLocked();
        reapAt = Math.max(64, registry.size() * 2);
      }
    } finally {
      registryLock.unlock();
    }
    return tc;
  }

  /**
   * A cache of its own for an allocation context on a virtual thread (platform threads' contexts use {@link
   * #local}): registered like a platform thread's, so {@code shrink()} and {@code close()} reach it and the
   * owner's death retires it; {@link #retire} ends it earlier.
   *
   * @param owner the calling virtual thread
   * @return the new cache
   */
  public ThreadCache registerContext(Thread owner) {
    ThreadCache tc = new ThreadCache(this, owner, magazineSize);
    registryLock.lock();
    try {
      registry.add(tc);
    } finally {
      registryLock.unlock();
    }
    return tc;
  }

  /**
   * Flushes a context's cache into the slabs and drops it from the registry, keeping its counts. Caller
   * owns {@code tc}.
   *
   * @param tc a cache from {@link #registerContext}
   */
  public void retire(ThreadCache tc) {
    registryLock.lock();
    try {
      if (registry.remove(tc)) {
        flush(tc);
        retireCountsLocked(tc);
      }
    } finally {
      registryLock.unlock();
    }
  }

  private void retireCountsLocked(ThreadCache tc) {
    retiredAllocs += tc.allocs;
    retiredFrees += tc.frees;
    retiredSlowAllocs += tc.slowAllocs;
    retiredSlowFrees += tc.slowFrees;
    retiredExchanges += tc.depotExchanges;
  }

  // ---------------------------------------------------------------- slow paths

  /** Allocation when {@code tc.loaded} is empty. Returns 0 if memory could not be had in this mode. */
  long allocateSlow(ThreadCache tc, int mode, long timeoutNanos) throws InterruptedException {
    if (tc.flushRequested) {
      flush(tc);
    }
    // Each count is read once and the pop indexes with that value: a close() racing the owner (outside the
    // contract) may zero a count between two reads, which must not turn into an index of -1.
    Magazine m = tc.loaded;
    int c = m.count;
    if (c <= 0) {
      Magazine p = tc.previous;
      int pc = p.count;
      if (pc > 0) {
        tc.previous = m;
        tc.loaded = p;
        m = p;
        c = pc;
      } else {
        Magazine full = fulls.poll();
        if (full != null) {
          // When the depot already has enough empty magazines, p is dropped (rare garbage).
          empties.offer(p);
          tc.previous = m;
          tc.loaded = full;
          m = full;
          c = full.count;
          tc.countExchange();
        } else {
          if (mode == SlabLayer.NOWAIT && layer.exhaustedForNowait()) {
            failures.incrementAndGet(); // refused without taking the slab lock
            layer.recordFailure(mode);
            return 0;
          }
          int got = layer.take(m.handles, 0, magazineSize, false, mode, timeoutNanos);
          if (got == 0) {
            failures.incrementAndGet();
            layer.recordFailure(mode);
            return 0;
          }
          c = got;
        }
      }
    }
    m.count = --c;
    tc.countSlowAlloc();
    return m.handles[c];
  }

  /** Free when {@code tc.loaded} is full. The handle was checked by the caller. */
  void freeSlow(ThreadCache tc, long handle) {
    if (tc.flushRequested) {
      flush(tc);
    }
    // Counts read once, as in allocateSlow.
    Magazine m = tc.loaded;
    int c = m.count;
    if (c >= m.handles.length) {
      Magazine p = tc.previous;
      c = p.count;
      if (c <= 0) {
        tc.previous = m;
        tc.loaded = p;
        m = p;
        c = 0;
      } else if (fulls.offer(p)) {
        Magazine e = empties.poll();
        if (e == null) {
          e = new Magazine(magazineSize);
        }
        tc.previous = m;
        tc.loaded = e;
        m = e;
        c = 0;
        tc.countExchange();
      } else {
        // depot full: spill the previous magazine into the slabs and use it as the empty one
        layer.giveBack(p.handles, c);
        p.count = 0;
        tc.previous = m;
        tc.loaded = p;
        m = p;
        c = 0;
      }
    }
    m.handles[c] = handle;
    m.count = c + 1;
    tc.countSlowFree();
  }

  /** Allocation straight from the slab layer, for a virtual thread that found its stripes busy. */
  public long allocateDirect(int mode, long timeoutNanos) throws InterruptedException {
    Magazine full = fulls.poll();
    long h;
    if (full != null) {
      h = full.handles[--full.count];
      if (full.count == 0 || !fulls.offer(full)) {
        layer.giveBack(full.handles, full.count);
        full.count = 0;
        empties.offer(full);
      }
    } else if ((h = layer.takeOneIfFree()) == 0) {
      long[] one = new long[1]; // the growing path: a new slab costs far more than this array
      if (layer.take(one, 0, 1, true, mode, timeoutNanos) == 0) {
        failures.incrementAndGet();
        return 0;
      }
      h = one[0];
    }
    directAllocs.incrementAndGet();
    return h;
  }

  /** Free straight into the slab layer, for a virtual thread that found its stripes busy. */
  public void freeDirect(long handle) {
    layer.giveBackOne(handle);
    directFrees.incrementAndGet();
  }

  // ---------------------------------------------------------------- bulk

  /**
   * Takes exactly {@code n} objects into {@code dst}, all or nothing: from the caller's magazines, then full
   * magazines of the depot, then the slab layer (growing per mode). On failure, and when growth throws,
   * everything taken goes back to the slabs before the call returns or throws.
   */
  public boolean allocateBulk(@Nullable ThreadCache tc, long[] dst, int n, int mode, long timeoutNanos)
      throws InterruptedException {
    int got = 0;
    if (tc != null) {
      got = drainInto(tc.loaded, dst, got, n);
      got = drainInto(tc.previous, dst, got, n);
    }
    while (got < n) {
      Magazine full = fulls.poll();
      if (full == null) {
        break;
      }
      got = drainInto(full, dst, got, n);
      if (full.count > 0) {
        layer.giveBack(full.handles, full.count);
        full.count = 0;
      }
      empties.offer(full);
    }
    if (got < n) {
      try {
        got += layer.take(dst, got, n - got, true, SlabLayer.NOWAIT, 0);
        if (got < n && mode != SlabLayer.NOWAIT) {
          // The rest needs a wait for memory: hold nothing while waiting (DESIGN, liveness rules). What the
          // magazines and the depot gave goes to the slabs, and the layer waits until the whole request fits.
          layer.giveBack(dst, got);
          got = 0; // nothing held, so the catch below gives nothing back twice if take throws
          got = layer.take(dst, 0, n, true, mode, timeoutNanos);
        }
      } catch (Throwable t) {
        layer.giveBack(dst, got); // take() already gave back what it took itself
        throw t;
      }
    }
    if (got < n) {
      layer.giveBack(dst, got);
      failures.incrementAndGet();
      return false;
    }
    directAllocs.addAndGet(n);
    return true;
  }

  private static int drainInto(Magazine m, long[] dst, int got, int n) {
    int c = m.count; // read once, as in allocateSlow
    int take = Math.max(0, Math.min(c, n - got));
    System.arraycopy(m.handles, c - take, dst, got, take);
    m.count = c - take;
    return got + take;
  }

  // ---------------------------------------------------------------- shrink, close, statistics

  /**
   * Returns both magazines of {@code tc} to the slabs. Caller owns {@code tc}.
   *
   * @return the bytes of slabs released because they became empty beyond the kept limit
   */
  public long flush(ThreadCache tc) {
    tc.flushRequested = false;
    return flushMagazine(tc.loaded) + flushMagazine(tc.previous);
  }

  private long flushMagazine(Magazine m) {
    int c = m.count; // read once: see drainAllQuiescent
    if (c <= 0) {
      return 0;
    }
    long released = layer.giveBack(m.handles, c);
    m.count = 0;
    return released;
  }

  /**
   * Flushes what the caller may touch (its own cache, free stripes, dead threads' caches, the depot), asks
   * live threads to flush at their next slow path, and releases every empty slab, unless the caller runs
   * this shrink from the budget's reclaim for this layer's own growth ({@link
   * SlabLayer#reclaimingForItself}).
   *
   * @return the bytes credited to the budget by this call: the slabs released while flushing (beyond the
   *     kept limit) and the kept empty slabs released at the end
   */
  public long shrink(boolean callerIsPlatform) {
    long released = 0;
    if (callerIsPlatform) {
      released += flush(local(Thread.currentThread()));
    }
    for (ThreadCache s : stripes) {
      if (s.tryLock()) {
        try {
          released += flush(s);
        } finally {
          s.unlock();
        }
      }
    }
    registryLock.lock();
    try {
      released += reapDeadLocked();
      for (ThreadCache tc : registry) {
        tc.flushRequested = true;
      }
    } finally {
      registryLock.unlock();
    }
    released += drainDepot();
    // A reclaim run by this layer's own growth keeps the empty slabs: the growth would map them again.
    return layer.reclaimingForItself() ? released : released + layer.releaseEmpty();
  }

  /**
   * Drains everything into the slabs and releases the empty ones (close()). The cache's contract says no
   * other call races the close, and then this is exact. A call that races it anyway (on a layer already
   * {@linkplain SlabLayer#close closed}, so it can take nothing from the slabs and grow nothing) may pop or
   * push a magazine while it is flushed: every count is read once and indexes with that value, so the
   * outcome is an object given back to its slab while its racing popper also holds it (nobody else can get
   * it from the closed slabs; if its slab is released, the popper's access is refused), or a racing free
   * lost to the flush and counted as still in use. Nothing throws an index error, and the stripes are
   * locked while flushed.
   */
  public void drainAllQuiescent() {
    registryLock.lock();
    try {
      for (ThreadCache tc : registry) {
        flush(tc);
      }
    } finally {
      registryLock.unlock();
    }
    for (ThreadCache s : stripes) {
      // A virtual thread may hold the stripe (a call racing the close): wait for it. Holders never wait for
      // the close; one waiting for memory sees the layer closed within one reclaim interval and lets go.
      while (!s.tryLock()) {
        java.util.concurrent.locks.LockSupport.parkNanos(100_000L); // holders let go within microseconds
      }
      try {
        flush(s);
      } finally {
        s.unlock();
      }
    }
    drainDepot();
    layer.releaseEmpty();
  }

  private long drainDepot() {
    long released = 0;
    Magazine m;
    while ((m = fulls.poll()) != null) {
      released += flushMagazine(m);
      empties.offer(m);
    }
    return released;
  }

  /** Drains and drops the caches of terminated threads; returns the bytes released meanwhile. */
  private long reapDeadLocked() {
    long[] released = {0};
    registry.removeIf(
        tc -> {
          if (!tc.ownerTerminated()) {
            return false;
          }
          released[0] += flush(tc);
          retireCountsLocked(tc);
          return true;
        });
    return released[0];
  }

  /**
   * Counter totals over every cache, stripe and the direct paths. {@code magazineAllocs} counts only
   * allocations popped from a loaded magazine without a slow path; bulk, debug and direct (virtual thread,
   * busy stripes) allocations are in {@code allocs} only.
   */
  public record Totals(
      long allocs,
      long frees,
      long magazineAllocs,
      long slowAllocs,
      long slowFrees,
      long exchanges,
      long failures,
      int threadCaches) {}

  public Totals totals() {
    long a;
    long f;
    long sa;
    long sf;
    long x;
    int caches;
    registryLock.lock();
    try {
      a = retiredAllocs;
      f = retiredFrees;
      sa = retiredSlowAllocs;
      sf = retiredSlowFrees;
      x = retiredExchanges;
      for (ThreadCache tc : registry) {
        // frees first: a cache's frees never exceed its allocations read later (objects its thread freed
        // itself), which keeps a snapshot's allocs - frees from going negative through skew
        f += tc.freesOpaque();
        a += tc.allocsOpaque();
        sa += tc.slowAllocsOpaque();
        sf += tc.slowFreesOpaque();
        x += tc.exchangesOpaque();
      }
      caches = registry.size();
    } finally {
      registryLock.unlock();
    }
    for (ThreadCache s : stripes) {
      f += s.freesOpaque();
      a += s.allocsOpaque();
      sa += s.slowAllocsOpaque();
      sf += s.slowFreesOpaque();
      x += s.exchangesOpaque();
    }
    long magazineAllocs = a - sa;
    f += directFrees.get();
    a += directAllocs.get();
    return new Totals(a, f, magazineAllocs, sa, sf, x, failures.get(), caches);
  }

  /** Counts frees made by bulk paths outside a thread cache. */
  public void countDirectFrees(long n) {
    directFrees.addAndGet(n);
  }

  public void countFailure() {
    failures.incrementAndGet();
  }

  /** Counts allocations made outside a thread cache (debug mode). */
  public void countDirectAllocs(long n) {
    directAllocs.addAndGet(n);
  }
}
