package io.github.slabkit.slab;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.LocalAllocator;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.slab.internal.MagazineDepot;
import io.github.slabkit.slab.internal.SlabLayer;
import io.github.slabkit.slab.internal.ThreadCache;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SlabCache}'s allocation context for one thread ({@link SlabCache#local()}): the cache's fast path
 * without the per-call lookup of the thread's magazines. A thread-per-core engine, an event loop or a
 * single-writer agent takes one per thread and keeps it.
 *
 * {@snippet :
 * try (SlabLocal local = cache.local()) { // on the thread that uses it
 *   long h = local.allocate();            // pops this thread's magazine: no lookup, no atomic instruction
 *   local.free(h);                        // pushes it back
 * }
 * }
 *
 * <h2>What it works on</h2>
 * A context on a platform thread works on that thread's own magazines, the very ones {@link SlabCache#free}
 * and {@link SlabCache#allocate} use on the thread, so the two may be mixed freely. A context on a virtual
 * thread gets a magazine pair of its own (the cache's own calls on virtual threads use shared stripes
 * instead): a virtual thread that takes a context is one that means to allocate a lot, so the pair is worth
 * its memory (two magazines of {@code magazineSize} handles). The slow path is the cache's: the depot, then
 * the slab lists, growing, reclaiming and waiting as the cache's methods of the same names do.
 *
 * <h2>Ownership and what is checked</h2>
 * Every call, in every mode, compares {@code Thread.currentThread()} with the owner of the open context (one
 * load and one compare, which a closed context fails) and reads the cache's flag for its fast paths (open,
 * not debugging); when either test fails, the call finds out why. A call from another thread throws {@link
 * IllegalStateException} naming both threads, before anything is touched. In debug mode ({@link SlabDebug})
 * every call then takes the cache's checked path (red zones, poison, tracking), exactly as the cache's own
 * methods do. Nothing more is checked: a context is not thread safe, and the owner check is what stops a
 * second thread from corrupting its magazines.
 *
 * <h2>End of the context</h2>
 * {@link #close()} (owner only, idempotent) returns the cached objects to the slabs: on a platform thread the
 * thread's magazines are flushed; on a virtual thread the context's own pair is flushed and dropped. If the
 * owner dies without closing, the cache returns the magazines at its next {@link SlabCache#shrink()} or
 * {@link SlabCache#close()}, as for any thread. Objects allocated through the context stay allocated; they
 * may be freed through the cache or any thread's context.
 *
 * <h2>Errors and memory consistency</h2>
 * As {@link SlabCache}: a double free, a foreign handle, {@code 0} throw {@link InvalidHandleException} and
 * change nothing (the same side table checks them); use after the cache is closed throws {@link
 * AllocatorClosedException}. Actions before a free happen-before the allocation that hands the object out
 * again, through any context or the cache.
 */
public final class SlabLocal implements LocalAllocator {
  private final SlabCache cache;
  private final Thread owner;
  private final ThreadCache magazines;
  private final SlabLayer layer;
  private final MagazineDepot depot;
  private final boolean debug;
  /** The cache's tag as its handles carry it, shifted down ({@link SlabCache#TAG_SHIFT}). */
  private final long tagOfHandles;
  /** Whether {@link #magazines} is this context's own pair (a virtual thread's), dropped at close. */
  private final boolean ownPair;
  /** Written and read by the owner only. */
  private boolean closed;
  /**
   * {@link #owner} while the context is open, null once closed (owner only): {@link #fast()} tests the
   * caller and the context's state with one compare.
   */
  private @Nullable Thread openOwner;

  SlabLocal(
      SlabCache cache, Thread owner, ThreadCache magazines, SlabLayer layer, MagazineDepot depot,
      boolean debug, boolean ownPair) {
    this.cache = cache;
    this.owner = owner;
    this.magazines = magazines;
    this.layer = layer;
    this.depot = depot;
    this.debug = debug;
    this.tagOfHandles = cache.tagOfHandles();
    this.ownPair = ownPair;
    this.openOwner = owner;
  }

  /**
   * Allocates without blocking, as {@link SlabCache#tryAllocate()}.
   *
   * @return a handle, or {@code 0} when no free object is at hand and the budget has no room for a slab
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public long tryAllocate() {
    if (!fast()) {
      check("tryAllocate");
      if (debug) {
        return cache.debugAllocate(SlabLayer.NOWAIT, 0);
      }
    }
    return magazines.allocateOwned(layer, SlabLayer.NOWAIT);
  }

  /**
   * Allocates, growing, reclaiming and waiting as {@link SlabCache#allocate()}.
   *
   * @return a handle, never {@code 0}
   * @throws AllocationFailedException if the budget stays exhausted past the cache's {@code maxWait}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public long allocate() {
    long h;
    if (fast()) {
      h = magazines.allocateOwned(layer, SlabLayer.BLOCKING);
    } else {
      check("allocate");
      h = debug ? cache.debugAllocate(SlabLayer.BLOCKING, 0) : magazines.allocateOwned(layer, SlabLayer.BLOCKING);
    }
    if (h == ObjectAllocator.NO_HANDLE) {
      throw cache.failure("1 object of " + cache.objectSize() + " B (a new slab of " + layer.slabBytes + " B)");
    }
    return h;
  }

  /**
   * Allocates, waiting up to the timeout, as {@link SlabCache#tryAllocate(long, TimeUnit)}.
   *
   * @param timeout the most to wait
   * @param unit its unit
   * @return a handle, or {@code 0} on timeout
   * @throws InterruptedException if interrupted while waiting; nothing is held then
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    check("tryAllocate");
    if (debug) {
      return cache.tryAllocate(timeout, unit);
    }
    return magazines.allocateOwned(layer, SlabLayer.TIMED, unit.toNanos(timeout));
  }

  /**
   * Frees an object of the cache into this thread's magazine, as {@link SlabCache#free(long)}.
   *
   * @param handle a handle of the cache, allocated and not yet freed (through any context or the cache)
   * @throws InvalidHandleException for {@code 0}, a foreign handle, or a double free; nothing changes
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public void free(long handle) {
    if (!fast()) {
      check("free");
      if (debug) {
        cache.debugFree(handle);
        return;
      }
    }
    disownOrRefuse(handle);
    magazines.free(handle);
  }

  /**
   * {@link SlabCache#disownOrRefuse} through this context's own reference to the layer: when an allocation
   * and its free are compiled together, the JIT then sees one layer and keeps the side-table loads of the
   * allocation for the free.
   */
  private void disownOrRefuse(long handle) {
    if (handle >>> SlabCache.TAG_SHIFT != tagOfHandles || !layer.disown(handle)) {
      throw cache.refused(handle);
    }
  }

  /**
   * Allocates {@code n} objects, all or nothing, without blocking, as {@link SlabCache#tryAllocateBulk}:
   * this thread's magazines first (copied out, not popped one by one), then full magazines of the depot, then
   * the slabs. One owner check for the whole batch.
   *
   * @param dst where the handles are written
   * @param n how many, {@code 0 <= n <= dst.length}
   * @return {@code true} if all {@code n} were allocated; {@code false} if none are held
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public boolean tryAllocateBulk(long[] dst, int n) {
    return bulk(dst, n, SlabLayer.NOWAIT, "tryAllocateBulk");
  }

  /**
   * Allocates {@code n} objects, all or nothing, growing, reclaiming and waiting as {@link
   * SlabCache#allocateBulk}; the source order is that of {@link #tryAllocateBulk}.
   *
   * @param dst where the handles are written
   * @param n how many, {@code 0 <= n <= dst.length}
   * @throws AllocationFailedException if not all could be had; none are held then
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public void allocateBulk(long[] dst, int n) {
    if (!bulk(dst, n, SlabLayer.BLOCKING, "allocateBulk")) {
      throw cache.failure(n + " objects of " + cache.objectSize() + " B in bulk (all or nothing)");
    }
  }

  private boolean bulk(long[] dst, int n, int mode, String op) {
    Allocators.checkBulk(dst, n);
    check(op);
    if (debug) {
      return mode == SlabLayer.NOWAIT ? cache.tryAllocateBulk(dst, n) : allocateBulkDebug(dst, n);
    }
    if (n == 0) {
      return true;
    }
    boolean ok;
    try {
      ok = depot.allocateBulk(magazines, dst, n, mode, 0);
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
    if (ok) {
      for (int i = 0; i < n; i++) {
        magazines.advanceSampleClock();
        layer.own(magazines, dst[i]);
      }
    }
    return ok;
  }

  private boolean allocateBulkDebug(long[] dst, int n) {
    cache.allocateBulk(dst, n);
    return true;
  }

  /**
   * Frees {@code src[0..n)} into this thread's magazines, as {@link SlabCache#freeBulk}, with one owner check
   * for the whole batch. Each handle is validated as by {@link #free}.
   *
   * @param src the handles
   * @param n how many, {@code 0 <= n <= src.length}
   * @throws InvalidHandleException for {@code 0}, a foreign handle or a double free: the handles before it
   *     are freed, it and those after it are not
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code src.length}
   * @throws IllegalStateException if called from another thread than the owner, or after {@link #close()}
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    check("freeBulk");
    if (debug) {
      cache.freeBulk(src, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      long h = src[i];
      disownOrRefuse(h);
      magazines.free(h);
    }
  }

  /**
   * Returns the cache this context allocates from.
   *
   * @return the cache
   */
  public SlabCache cache() {
    return cache;
  }

  @Override
  public Thread owner() {
    return owner;
  }

  /**
   * Returns whether {@link #close()} was called.
   *
   * @return whether closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Ends the context and returns its cached objects to the slabs (see the class comment). Idempotent; a
   * no-op once the cache is closed (the cache's close drained everything).
   *
   * @throws IllegalStateException if called from another thread than the owner
   */
  @Override
  public void close() {
    if (Thread.currentThread() != owner) {
      throw wrongThread("close");
    }
    if (closed) {
      return;
    }
    closed = true;
    openOwner = null;
    if (cache.isClosed()) {
      return;
    }
    if (ownPair) {
      depot.retire(magazines);
    } else {
      depot.flush(magazines);
    }
  }

  /**
   * Whether a call may skip {@link #check} and the debug test: the owner calls and the context is open (one
   * compare with {@link #openOwner}), and the cache's fast paths are on ({@link SlabCache#fastPath()}: open,
   * not debugging). When false, the call runs {@link #check}, which throws on misuse, and the debug test.
   */
  private boolean fast() {
    return Thread.currentThread() == openOwner && cache.fastPath();
  }

  private void check(String op) {
    // One branch on the fast path; the cold method tells the cases apart.
    if (Thread.currentThread() != owner || closed || cache.closedPlain()) {
      throw misuse(op);
    }
  }

  private RuntimeException misuse(String op) {
    if (Thread.currentThread() != owner) {
      return wrongThread(op);
    }
    if (cache.isClosed()) {
      return cache.closedException(op);
    }
    return new IllegalStateException(
        cache.name() + ": " + op + "() on a closed SlabLocal; take a new one with cache.local()");
  }

  private IllegalStateException wrongThread(String op) {
    Thread t = Thread.currentThread();
    return new IllegalStateException(
        cache.name() + ": " + op + "() on the SlabLocal of thread '" + owner.getName() + "' (id "
            + owner.threadId() + ") from thread '" + t.getName() + "' (id " + t.threadId()
            + "); a context belongs to the thread that created it: call cache.local() on each thread, or"
            + " use the cache's own methods, which are thread safe");
  }

  @Override
  public String toString() {
    return "SlabLocal[" + cache.name() + ", owner " + owner.getName() + (closed ? ", closed]" : "]");
  }
}
