package io.github.slabkit.slab;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.slab.internal.HandleTags;
import io.github.slabkit.slab.internal.MagazineDepot;
import io.github.slabkit.slab.internal.SlabDebugger;
import io.github.slabkit.slab.internal.SlabLayer;
import io.github.slabkit.slab.internal.ThreadCache;
import io.github.slabkit.slab.internal.IdleTrimmer;
import io.github.slabkit.slab.internal.LeakReports;
import io.github.slabkit.slab.internal.LeakSampler;
import io.github.slabkit.slab.internal.SlabEvents;
import io.github.slabkit.slab.internal.SlabCacheMBean;
import java.lang.foreign.MemoryLayout;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ScheduledFuture;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * An off-heap cache of fixed-size objects, after the Linux kernel's {@code kmem_cache} (SLUB): objects live in
 * slabs of {@code java.lang.foreign} memory and are named by {@code long} handles.
 *
 * {@snippet :
 * ValueLayout.OfLong START = ValueLayout.JAVA_LONG;
 * try (SlabCache cache = SlabCache.builder("extent-states").objectSize(48).build()) {
 *   long h = cache.allocate();                          // a handle, never 0
 *   START.set(cache.memory(h), cache.offset(h), 4096L); // zero-garbage access
 *   cache.free(h);
 * }
 * }
 *
 * <h2>Fast path</h2>
 * A platform thread allocates from and frees into its own magazine (a small array of handles) with no atomic
 * instruction and no heap allocation; full and empty magazines are exchanged with a shared depot, and only
 * the depot's misses lock the slab lists. An object freed on another thread goes into the freeing thread's
 * magazine. Virtual threads use a fixed set of striped magazines (a try-lock each), so millions of them cost
 * no per-thread memory. A thread that allocates a lot (an event loop, a thread-per-core engine) can take a
 * {@link #local()} context, which works on the same magazines without looking the thread up on each call.
 *
 * <h2>Blocking and failure</h2>
 * <ul>
 *   <li>{@link #tryAllocate()} never blocks and never reclaims: when no free object is at hand and the budget
 *       has no room for a new slab, it returns {@code 0}.
 *   <li>{@link #allocate()} may grow the cache; when the budget is exhausted it asks the budget's shrinkers
 *       (other caches and this one) to release empty slabs and flush idle magazines, then waits up to the
 *       cache's {@code maxWait} for either credit or objects coming back to this cache's slabs, and then
 *       throws {@link AllocationFailedException}. Objects in a live thread's own magazines serve that thread
 *       only (at most {@code 2 * magazineSize} per thread) until its next slow path, {@link #shrink()} or
 *       {@link SlabLocal#close()}.
 *   <li>{@link #tryAllocate(long, TimeUnit)} does the same within the timeout and returns {@code 0}.
 * </ul>
 *
 * <h2>Thread safety and memory consistency</h2>
 * All methods except {@link #close()} may be called from any thread concurrently. Actions in a thread prior
 * to {@link #free(long)} happen-before actions following the allocation that hands the same object out again,
 * on any thread. {@code close()} must not race with other calls; what happens if it does is under {@link
 * #close()}.
 *
 * <h2>Errors</h2>
 * {@code free(0)}, a handle of another cache, a handle whose slab was released, and a double free throw
 * {@link InvalidHandleException} and change nothing. Every double free of an object that is cached (in a
 * magazine, the depot or its slab) is detected, in every mode: each slab keeps a side table of one byte per
 * object, set when the object is handed out and cleared when it is freed, so an object is never handed out
 * twice. The refused double frees are counted in {@link SlabStatistics#doubleFrees()}. One case is left to
 * the debug mode ({@link SlabDebug}), which serialises every free: two frees of one object racing on two
 * threads with no synchronisation between them (a data race in the caller). After {@link #close()}, the
 * allocations, {@code free}, {@code checkHandle}, {@code segment}, {@code local}, the bulk calls and
 * {@code prefill} throw {@link AllocatorClosedException} naming the operation. {@code memory} and {@code
 * offset} are the zero-check access path and do not look. The name, the size and the statistics still
 * answer, and {@code shrink} returns {@code 0}.
 */
public final class SlabCache implements ObjectAllocator {
  private static final System.Logger LOG = System.getLogger(SlabCache.class.getName());
  /** Where a handle's tag starts: its top 16 bits name the cache ({@link HandleTags}). */
  static final int TAG_SHIFT = 48;

  private final String name;
  private final long objectSize;
  /** {@link #tag} as a long: what a handle of this cache shifted right by {@link #TAG_SHIFT} equals. */
  private final long tagOfHandles;
  private final int objectsPerSlab;
  private final SlabLayer layer;
  private final MagazineDepot depot;
  private final MemoryBudget budget;
  private final boolean throwOnLeak;
  private final int magazineSize;
  private final MemoryBudget.@Nullable Registration shrinkerRegistration;
  /** Non-null when debugging is on: every operation then takes the checked slow path. */
  private final @Nullable SlabDebugger debugger;
  private final SlabDebug debug;
  private final SlabRegistry registry;
  private final @Nullable ScheduledFuture<?> idleTrim;
  private final LeakSampler sampler;
  private final @Nullable ScheduledFuture<?> leakAgeCheck;
  private final LeakReports reports;
  private @Nullable ObjectName mbeanName;
  /**
   * Written with volatile semantics; the fast paths read it plainly through {@link #closedPlain()}. {@link
   * #close()} must not race with other calls (its contract), so a call that follows the close in
   * happens-before order sees the flag, and no fence is needed; a volatile read there would also stop the JIT
   * from keeping the fields of one call for the next (an allocation followed by its free).
   */
  private volatile boolean closed;

  /**
   * True while the fast paths may skip the checks: debugging is off and the cache is open. One plain field,
   * so that {@link #tryAllocate()}, {@link #allocate()} and {@link #free(long)} test one flag instead of
   * {@code closed} and {@code debugger}. {@link #close()} clears it before its volatile write of {@link
   * #closed}, which publishes it (close must not race with other calls, as for {@code closed}). False, its
   * default, only sends a call to the checks, so a thread that sees a racily published cache before the
   * constructor's write still does the right thing.
   */
  private boolean fast;

  private long leakedAtClose;
  private final int tag;
  private final HandleTags tags;
  /** Double frees refused at {@link #free} (cold path only). */
  private final AtomicLong refusedDoubleFrees = new AtomicLong();
  /**
   * Shrinks that run on other threads than the owner's (the idle trimmer, a budget's reclaim) hold the read
   * lock; {@link #close()} takes the write lock after setting {@link #closed}, so it returns only after every
   * such shrink in flight has finished and credited the budget, and later ones see {@code closed} and do
   * nothing.
   */
  private final ReentrantReadWriteLock maintenance = new ReentrantReadWriteLock();

  SlabCache(
      SlabCacheBuilder b, SlabDebug debug, HandleTags tags, int tag, long stride, long objectOffset,
      int objectsPerSlab, long segmentAlignment, int leakSampling) {
    this.name = b.name;
    this.tags = tags;
    this.tag = tag;
    this.objectSize = b.objectSize;
    this.objectsPerSlab = objectsPerSlab;
    this.budget = b.budget;
    this.throwOnLeak = b.throwOnLeak;
    this.magazineSize = b.magazineSize;
    this.layer =
        new SlabLayer(
            b.name,
            b.objectSize,
            stride,
            objectOffset,
            objectsPerSlab,
            segmentAlignment,
            tag,
            b.budget,
            b.constructor,
            saturatedNanos(b.maxWait),
            b.maxEmptySlabs);
    this.tagOfHandles = tag;
    if (layer.tag() != tagOfHandles << TAG_SHIFT) {
      throw new AssertionError("tag layout: " + Long.toHexString(layer.tag()));
    }
    // Debug tracking (flag U) records every site: sampling would only add cost.
    this.sampler =
        new LeakSampler(
            debug.enabled() ? 0 : leakSampling, b.leakAge == null ? Long.MAX_VALUE : saturatedNanos(b.leakAge));
    layer.setLeakSampler(sampler); // before the depot: its thread caches draw their first countdowns from it
    this.depot = new MagazineDepot(layer, b.magazineSize, b.depotMagazines);
    this.debug = debug;
    if (debug.enabled()) {
      this.debugger = new SlabDebugger(name, layer, debug, b.constructor != null);
      layer.setDebugger(debugger);
    } else {
      this.debugger = null;
    }
    this.fast = debugger == null;
    this.reports = new LeakReports(name, stride, sampler, debugger);
    this.registry = b.registry;
    if (b.jmx) {
      registerMBean(); // first: a name already taken throws before anything is registered or charged
    }
    this.shrinkerRegistration =
        b.budget.limit() == Long.MAX_VALUE ? null : b.budget.register(wanted -> shrinkFromOtherThread());
    registry.add(this);
    this.idleTrim =
        b.trimWhenIdle == null
            ? null
            : IdleTrimmer.schedule(
                () -> {
                  MagazineDepot.Totals t = depot.totals();
                  return t.allocs() + t.frees();
                },
                this::shrinkFromOtherThread,
                saturatedNanos(b.trimWhenIdle));
    this.leakAgeCheck =
        sampler.enabled() && b.leakAge != null
            ? IdleTrimmer.every(
                this::reportAgedLeaks,
                Math.clamp(sampler.ageNanos() / 2, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1)))
            : null;
  }

  /** A duration in nanoseconds, saturated to {@link Long#MAX_VALUE} (about 292 years). */
  static long saturatedNanos(Duration d) {
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }

  /**
   * Starts building a cache.
   *
   * @param name the name used in statistics, slabinfo and error messages
   * @return a builder; set at least the object size or layout
   */
  public static SlabCacheBuilder builder(String name) {
    return new SlabCacheBuilder(name);
  }

  /**
   * Returns the name given to {@link #builder(String)}. Every exception, log report, JFR event, slabinfo row
   * and MBean of the cache carries it. Also answers after {@link #close()}.
   *
   * @return the cache's name
   */
  @Override
  public String name() {
    return name;
  }

  /**
   * Returns the usable bytes of every object, as set by {@link SlabCacheBuilder#objectSize(long)} or the
   * layout's size. Objects sit {@link SlabStatistics#stride()} bytes apart, which can be more (alignment,
   * debug red zones); {@link #segment(long)} is exactly this long. Also answers after {@link #close()}.
   *
   * @return the object size in bytes, at least 1
   */
  @Override
  public long objectSize() {
    return objectSize;
  }

  /**
   * Returns the memory budget this cache charges its slabs to.
   *
   * @return the budget
   */
  public MemoryBudget budget() {
    return budget;
  }

  /**
   * Returns an allocation context owned by the calling thread: {@link SlabLocal}'s {@code tryAllocate},
   * {@code allocate} and {@code free} work on this thread's magazines with no per-call thread lookup (see
   * {@link SlabLocal} for what is checked, virtual threads and the end of a context). Allocates the small
   * context object; its calls allocate nothing.
   *
   * @return a new context owned by the calling thread
   * @throws AllocatorClosedException if the cache is closed
   */
  @Override
  public SlabLocal local() {
    if (closed) {
      throw closedException("local");
    }
    Thread t = Thread.currentThread();
    boolean ownPair = t.isVirtual();
    ThreadCache tc = ownPair ? depot.registerContext(t) : depot.local(t);
    return new SlabLocal(this, t, tc, layer, depot, debugger != null, ownPair);
  }

  // ---------------------------------------------------------------- allocation fast paths

  /**
   * Allocates without waiting for memory and without reclaim (the kernel's {@code GFP_NOWAIT}). A platform
   * thread pops its own loaded magazine, with no atomic instruction and no heap allocation. When both of its
   * magazines are empty it takes a full magazine from the depot, then refills from the slab lists under the
   * slab lock. It grows a new slab only if the budget has room at once ({@link MemoryBudget#tryCharge}).
   * It never calls a {@linkplain MemoryBudget#register shrinker} and never waits for budget credit. It may
   * wait briefly for the slab lock, whose holders never wait for anything. A virtual thread takes the same
   * path through one of a fixed set of striped magazines (a try-lock), or through the depot and the slabs
   * when its stripes are busy. In debug mode ({@link SlabDebug}) every allocation takes the debugger's
   * checked path instead. Free objects in other threads' magazines are not at hand, so {@code 0} can be
   * returned while such objects exist. Each {@code 0} counts in {@link SlabStatistics#failures()}. Actions
   * before the {@link #free(long) free} that last returned the object happen-before the return of this call
   * (see the class documentation).
   *
   * @return a handle, or {@link #NO_HANDLE} if no free object is at hand and the budget has no room for a slab
   * @throws AllocatorClosedException if the cache is closed (the message names {@code tryAllocate})
   */
  @Override
  public long tryAllocate() {
    if (!fast) {
      return tryAllocateChecked();
    }
    return allocateCached(SlabLayer.NOWAIT);
  }

  private long tryAllocateChecked() {
    if (closedPlain()) {
      throw closedException("tryAllocate");
    }
    return debugger != null ? debugAllocate(SlabLayer.NOWAIT, 0) : allocateCached(SlabLayer.NOWAIT);
  }

  /** An allocation through the caller's magazines: its thread's, or a virtual thread's stripe. */
  private long allocateCached(int mode) {
    Thread t = Thread.currentThread();
    if (!t.isVirtual()) {
      return depot.local(t).allocateOwned(layer, mode);
    }
    return allocateVirtual(mode);
  }

  /**
   * Allocates, growing the cache and reclaiming if needed. Takes the path of {@link #tryAllocate()}. When a
   * new slab is needed and the budget has no room, the budget first asks every registered shrinker to give
   * memory back. The shrinkers are the caches sharing the budget, this one included: each flushes idle
   * magazines and releases its empty slabs, except this cache, which keeps its own (their objects count
   * toward the request; releasing a slab only to map it again would churn). Then the call waits, at most
   * the cache's {@link SlabCacheBuilder#maxWait(Duration) maxWait} (default 100 ms) in all, for whichever
   * comes first: credit for a slab, or objects back in this cache's slabs (the reclaim put there what dead
   * threads and the depot held; frees put objects there while it waits; the reclaim runs again every 10 ms
   * for what frees leave in the depot). Objects in a live thread's own magazines are that thread's until its
   * next slow path. The wait cannot be interrupted: an interrupt does not end it, and the thread's interrupt status is kept. A
   * virtual thread waits without pinning its carrier. On success the memory-consistency guarantee of {@link
   * #tryAllocate()} holds.
   *
   * @return a handle, never {@link #NO_HANDLE}
   * @throws AllocationFailedException if no slab could be charged within {@code maxWait}. The exception's
   *     {@link AllocationFailedException#allocatorName() allocatorName()} is this cache's name, and its
   *     {@link AllocationFailedException#requestedBytes() requestedBytes()} is one slab. Its message names
   *     the budget, its limit and usage, and what to change. The failure is counted in {@link
   *     SlabStatistics#failures()}, and nothing is held. A shrinker of the budget that threw while this
   *     call reclaimed does not end the call early (the other shrinkers are still asked); if the call then
   *     fails, the shrinker's exception is attached as suppressed (see {@link MemoryBudget#reclaim}).
   * @throws AllocatorClosedException if the cache is closed (the message names {@code allocate})
   */
  @Override
  public long allocate() {
    long h;
    if (fast) {
      h = allocateCached(SlabLayer.BLOCKING);
    } else if (closedPlain()) {
      throw closedException("allocate");
    } else {
      h = debugger != null ? debugAllocate(SlabLayer.BLOCKING, 0) : allocateCached(SlabLayer.BLOCKING);
    }
    if (h == NO_HANDLE) {
      throw failure("1 object of " + objectSize + " B (a new slab of " + layer.slabBytes + " B)");
    }
    return h;
  }

  /**
   * Allocates like {@link #allocate()}, but the wait for budget credit for a new slab is bounded by {@code
   * timeout} instead of {@code maxWait} and can be interrupted. On timeout the call returns {@code 0}. A
   * timeout of zero or less still asks the shrinkers but does not wait. An interrupt is noticed only when the
   * call would wait for credit: an object at hand is returned even if the interrupt status is set. Timeouts
   * too large for nanoseconds saturate.
   *
   * @param timeout the longest wait for credit; zero or negative means reclaim without waiting
   * @param unit the unit of {@code timeout}
   * @return a handle, or {@link #NO_HANDLE} if no slab could be charged in time (counted in {@link
   *     SlabStatistics#failures()}; nothing is held)
   * @throws InterruptedException if the thread is interrupted before or while it waits for credit;
   *     nothing is held then
   * @throws AllocatorClosedException if the cache is closed (the message names {@code tryAllocate})
   */
  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    if (closed) {
      throw closedException("tryAllocate");
    }
    long nanos = unit.toNanos(timeout);
    if (debugger != null) {
      return debugAllocateTimed(SlabLayer.TIMED, nanos);
    }
    Thread t = Thread.currentThread();
    if (!t.isVirtual()) {
      ThreadCache tc = depot.local(t);
      return tc.allocateOwned(layer, SlabLayer.TIMED, nanos);
    }
    ThreadCache s = depot.lockStripe();
    if (s == null) {
      return owned(depot.allocateDirect(SlabLayer.TIMED, nanos));
    }
    try {
      return s.allocateOwned(layer, SlabLayer.TIMED, nanos);
    } finally {
      s.unlock();
    }
  }

  /** Marks a handle that leaves the cache for the user as owned (see {@link SlabLayer#own}). */
  long owned(long h) {
    if (h != NO_HANDLE) {
      layer.own(h);
    }
    return h;
  }

  long debugAllocate(int mode, long nanos) {
    try {
      return debugAllocateTimed(mode, nanos);
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
  }

  private long debugAllocateTimed(int mode, long nanos) throws InterruptedException {
    long h = Objects.requireNonNull(debugger).allocate(mode, nanos);
    if (h == NO_HANDLE) {
      depot.countFailure();
    } else {
      depot.countDirectAllocs(1);
    }
    return h;
  }

  private long allocateVirtual(int mode) {
    try {
      ThreadCache s = depot.lockStripe();
      if (s == null) {
        return owned(depot.allocateDirect(mode, 0));
      }
      try {
        return s.allocateOwned(layer, mode);
      } finally {
        s.unlock();
      }
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
  }

  // ---------------------------------------------------------------- free

  /**
   * Returns an object to the cache. The handle is checked first, at the cost of one load and one compare.
   * It must carry this cache's tag, and the slab's ownership side table must show the object handed out
   * and not yet freed. A platform thread then pushes the handle onto its own loaded magazine, with no atomic
   * instruction and no heap allocation. When both of its magazines are full, it gives one full magazine to
   * the depot. If the depot is full too, that magazine is spilled into the slabs under the slab lock. Empty
   * slabs beyond {@link SlabCacheBuilder#maxEmptySlabs(int) maxEmptySlabs} then go back to the operating
   * system and are credited to the budget. A virtual thread frees into a striped magazine, or straight into
   * the slabs when its stripes are busy. A free never waits for memory and never needs any; it may wait
   * briefly for the slab lock. Any thread may free an object that any thread allocated. In debug mode every
   * free takes the debugger's checked path, which also catches two frees of one object racing on two
   * threads. Actions before this call happen-before the return of the allocation that next hands the object
   * out, on any thread.
   *
   * @param handle a handle this cache returned and that was not freed since
   * @throws InvalidHandleException if {@code handle} is {@code 0}, belongs to another allocator, names a
   *     slot or slab this cache does not have, or is already free (a double free, detected wherever the
   *     object is cached). The message says which. Nothing changes, except that a refused double free counts
   *     in {@link SlabStatistics#doubleFrees()}.
   * @throws AllocatorClosedException if the cache is closed, whatever the handle (the message names {@code
   *     free})
   */
  @Override
  public void free(long handle) {
    if (!fast) {
      if (closedPlain()) {
        throw closedException("free");
      }
      if (debugger != null) {
        debugFree(handle);
        return;
      }
    }
    disownOrRefuse(handle);
    Thread t = Thread.currentThread();
    if (!t.isVirtual()) {
      depot.local(t).free(handle);
      return;
    }
    freeVirtual(handle);
  }

  void debugFree(long handle) {
    try {
      Objects.requireNonNull(debugger).free(handle);
    } catch (InvalidHandleException e) {
      throw countIfDoubleFree(e);
    }
    depot.countDirectFrees(1);
  }

  /** Counts a refusal by the debugger in {@link SlabStatistics#doubleFrees()} if it was a double free. */
  private InvalidHandleException countIfDoubleFree(InvalidHandleException e) {
    if (Objects.toString(e.getMessage(), "").contains(DOUBLE_FREE)) {
      refusedDoubleFrees.incrementAndGet();
    }
    return e;
  }

  /**
   * Takes a handle back from its user, or throws: the side table answers "is this a live object of ours,
   * handed out and not yet freed or stashed?" in one check (the free, a context's free and {@link #stash}).
   */
  void disownOrRefuse(long handle) {
    // A shift and a compare with the tag: fewer instructions than a mask with a 64-bit constant.
    if (handle >>> TAG_SHIFT != tagOfHandles || !layer.disown(handle)) {
      throw refused(handle);
    }
  }

  private void freeVirtual(long handle) {
    ThreadCache s = depot.lockStripe();
    if (s == null) {
      depot.freeDirect(handle);
      return;
    }
    try {
      s.free(handle);
    } finally {
      s.unlock();
    }
  }

  /** The exception for a handle {@link SlabLayer#disown} refused: not ours, or already free. */
  InvalidHandleException refused(long handle) {
    if (layer.whyInvalid(handle) != null) {
      return invalid(handle);
    }
    refusedDoubleFrees.incrementAndGet();
    return doubleFree(handle);
  }

  /**
   * Checks, without changing anything, that {@code handle} could be one of this cache's objects. It must not
   * be {@code 0}, it must carry this cache's tag, its slot must be inside a slab, and a slab must exist at its
   * index now. It does not check that the object is allocated: a freed handle whose slab is still there
   * passes. {@link #free(long)} and debug mode check that. Allocates nothing on success. A mempool
   * calls it before it keeps an object in its reserve.
   *
   * @param handle the handle to check
   * @throws InvalidHandleException if the handle cannot be one of this cache's; the message says why
   * @throws AllocatorClosedException if the cache is closed (the message names {@code checkHandle})
   */
  @Override
  public void checkHandle(long handle) {
    checkHandle(handle, "checkHandle");
  }

  private void checkHandle(long handle, String op) {
    if (closed) {
      throw closedException(op);
    }
    String why = layer.whyInvalid(handle);
    if (why != null) {
      throw new InvalidHandleException(name, handle, why);
    }
  }

  /**
   * Takes an object back from its user for an allocator built on this cache (a mempool's reserve) that keeps
   * it instead of freeing it (see {@link ObjectAllocator#stash}). The object stays allocated in its slab, but
   * the ownership side table marks it free: a later {@link #free} or {@code stash} of the handle is refused
   * as a double free until {@link #unstash} hands it out again. One load and one compare, as {@code free}. In
   * debug mode the debugger's exact checks apply instead (not {@code 0}, ours, not free in its slab, not
   * stashed), and the debugger marks the object stashed, so a later free or stash is refused in the same way.
   *
   * @param handle a handle this cache returned, not freed or stashed since
   * @throws InvalidHandleException if {@code handle} is {@code 0}, another allocator's, names a slot or slab
   *     this cache does not have, or is free or stashed already (a double free); nothing changes, except that
   *     a refused double free counts in {@link SlabStatistics#doubleFrees()}
   * @throws AllocatorClosedException if the cache is closed (the message names {@code stash})
   */
  @Override
  public void stash(long handle) {
    if (closed) {
      throw closedException("stash");
    }
    if (debugger != null) {
      try {
        debugger.stash(handle);
      } catch (InvalidHandleException e) {
        throw countIfDoubleFree(e);
      }
      return;
    }
    disownOrRefuse(handle);
  }

  /**
   * Undoes {@link #stash}: marks the object handed out again, so that its next free is accepted. Never
   * throws; the caller must hold a handle it stashed (nothing else is checked).
   *
   * @param handle a handle the caller stashed and has not unstashed
   */
  @Override
  public void unstash(long handle) {
    if (debugger == null) {
      layer.own(handle);
    } else {
      debugger.unstash(handle);
    }
  }

  // ---------------------------------------------------------------- bulk and sheaves

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, without waiting for memory and
   * without reclaim. The objects come from the caller's magazines (a virtual thread's stripe, if it gets
   * one), then whole magazines of the depot, then the slab lists. New slabs are grown only while the budget
   * has room at once, and no shrinker is called. If not all {@code n} can be had, every object taken goes
   * back to the slabs and the call returns {@code false}. One failure is counted then. {@code n == 0}
   * returns {@code true} at once.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @return {@code true} if all {@code n} were allocated; {@code false} if none are held (the first {@code n}
   *     slots then hold no handle the caller owns)
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}; checked
   *     before the cache is
   * @throws AllocatorClosedException if the cache is closed (the message names {@code tryAllocateBulk})
   */
  @Override
  public boolean tryAllocateBulk(long[] dst, int n) {
    return bulk(dst, n, SlabLayer.NOWAIT, "tryAllocateBulk");
  }

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, reclaiming and waiting like {@link
   * #allocate()}. It takes the path of {@link #tryAllocateBulk}, but when a new slab is needed it may ask the
   * shrinkers and wait, up to {@code maxWait} for the whole call; the wait cannot be interrupted. A request
   * larger than the budget could ever hold fails at once. A request that must wait holds nothing while
   * it waits: what it gathered goes back to the slabs, and it waits, all or nothing, until the whole request
   * fits (a slab can be charged, or enough objects came back to the slabs). So two requests that do not fit
   * together take turns instead of each holding part and waiting for the other.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @throws AllocationFailedException if not all {@code n} could be had; the message names this cache and
   *     the request, and none of the objects are held by the caller
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}; checked
   *     before the cache is
   * @throws AllocatorClosedException if the cache is closed (the message names {@code allocateBulk})
   */
  @Override
  public void allocateBulk(long[] dst, int n) {
    allocateBulk(dst, n, "allocateBulk");
  }

  private void allocateBulk(long[] dst, int n, String op) {
    if (!bulk(dst, n, SlabLayer.BLOCKING, op)) {
      throw failure(n + " objects of " + objectSize + " B in bulk (all or nothing)");
    }
  }

  private boolean bulk(long[] dst, int n, int mode, String op) {
    Allocators.checkBulk(dst, n);
    if (closed) {
      throw closedException(op);
    }
    if (n == 0) {
      return true;
    }
    if (debugger != null) {
      int i = 0;
      try {
        for (; i < n; i++) {
          dst[i] = debugAllocate(mode, 0);
          if (dst[i] == NO_HANDLE) {
            freeBulk(dst, i);
            return false;
          }
        }
      } catch (RuntimeException | Error e) {
        // All or nothing holds for a throw too (an object constructor, a debug report, a closing cache):
        // the objects taken before it go back, or the caller, who never sees them, would leak them.
        giveBack(dst, i, e);
        throw e;
      }
      return true;
    }
    boolean ok;
    ThreadCache mine = null; // the platform thread's cache, whose countdown samples the batch
    try {
      Thread t = Thread.currentThread();
      if (!t.isVirtual()) {
        mine = depot.local(t);
        ok = depot.allocateBulk(mine, dst, n, mode, 0);
      } else {
        ThreadCache s = depot.lockStripe();
        try {
          ok = depot.allocateBulk(s, dst, n, mode, 0);
        } finally {
          if (s != null) {
            s.unlock();
          }
        }
      }
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
    if (ok) {
      for (int i = 0; i < n; i++) {
        if (mine != null) {
          mine.advanceSampleClock();
          layer.own(mine, dst[i]);
        } else {
          layer.own(dst[i]);
        }
      }
    }
    return ok;
  }

  /** Frees {@code dst[0..n)} after {@code cause} ended a bulk call; a failure to free is added to it. */
  private void giveBack(long[] dst, int n, Throwable cause) {
    for (int j = 0; j < n; j++) {
      try {
        free(dst[j]);
      } catch (RuntimeException e) {
        cause.addSuppressed(e);
      }
    }
  }

  /**
   * Frees {@code src[0..n)} in order, each as {@link #free(long)} does: into the caller's magazines, with the
   * same checks. It stops at the first handle refused. A {@link SlabLocal} context does the same with one
   * owner check per batch.
   *
   * @param src the handles to free
   * @param n how many, {@code 0 <= n <= src.length}
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code src.length}
   * @throws InvalidHandleException as {@link #free(long)}; the handles before the bad one are freed, and the
   *     bad one and those after it are not
   * @throws AllocatorClosedException if the cache is closed, also for {@code n == 0} (the message names {@code
   *     freeBulk})
   */
  @Override
  public void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    if (closed) {
      throw closedException("freeBulk");
    }
    for (int i = 0; i < n; i++) {
      free(src[i]);
    }
  }

  /**
   * Preallocates a sheaf from which exactly {@code n} allocations cannot fail (the kernel's {@code
   * kmem_cache_prefill_sheaf}). Blocks and reclaims like {@link #allocate()}.
   *
   * @param n the guaranteed number of allocations, at least 1
   * @return the sheaf; close it to return what was not taken
   * @throws AllocationFailedException if {@code n} objects could not be had; nothing is held then
   * @throws IllegalArgumentException if {@code n < 1}
   * @throws AllocatorClosedException if the cache is closed (the message names {@code prefill})
   */
  public Sheaf prefill(int n) {
    long[] handles = new long[Allocators.checkPositive("sheaf size", n)];
    allocateBulk(handles, n, "prefill");
    return new Sheaf(this, handles);
  }

  /**
   * Like {@link #prefill(int)} but never blocks and never reclaims.
   *
   * @param n the guaranteed number of allocations, at least 1
   * @return the sheaf, or {@code null} if {@code n} objects are not at hand
   * @throws IllegalArgumentException if {@code n < 1}
   * @throws AllocatorClosedException if the cache is closed (the message names {@code tryPrefill})
   */
  public @Nullable Sheaf tryPrefill(int n) {
    long[] handles = new long[Allocators.checkPositive("sheaf size", n)];
    return bulk(handles, n, SlabLayer.NOWAIT, "tryPrefill") ? new Sheaf(this, handles) : null;
  }

  // ---------------------------------------------------------------- access

  /**
   * Returns the segment of the slab that holds the object, for layout {@code VarHandle}s together with
   * {@link #offset(long)}. This is the zero-garbage access path: a few dependent loads from the slab index
   * the handle names, with no allocation. It checks two things: that the handle carries this cache's tag
   * (so {@code 0} and another allocator's handles throw), and that a slab exists at that index now. It checks
   * neither liveness nor whether the cache is closed: a freed handle, or a forged one with this cache's tag,
   * resolves to whichever slab sits at that index. Validate untrusted handles with {@link #checkHandle(long)}
   * or use {@link #segment(long)}. The segment covers the
   * whole slab; writing outside {@code [offset(h), offset(h) + objectSize())} corrupts other objects. After
   * {@link #close()} the slabs of leaked objects are kept, so their handles still resolve.
   *
   * @param handle a live handle of this cache
   * @return the slab's segment
   * @throws InvalidHandleException if the handle is {@code 0} or another allocator's, or if no slab of this
   *     cache exists at the index it names (released, or never allocated)
   */
  @Override
  public MemorySegment memory(long handle) {
    return layer.memoryOf(handle);
  }

  /**
   * Returns the object's base offset in {@link #memory(long)}. It is arithmetic on the handle (slot times
   * stride): no check of any kind, no allocation, and it never throws, also after {@link #close()}. The
   * answer means something only for a live handle of this cache.
   *
   * @param handle a live handle of this cache
   * @return the byte offset of the object in its slab's segment
   */
  @Override
  public long offset(long handle) {
    return layer.offsetOf(handle);
  }

  /**
   * Returns whether {@code handle} names an object of this cache that is handed out now: allocated (or
   * {@link #unstash unstashed}) and not freed or {@link #stash stashed} since. Read-only: it changes and
   * reports nothing, so it suits a check before an operation that must not start on a dead handle (the
   * kmalloc layer's {@code reallocate} uses it). {@code false} for {@code 0}, another allocator's handle and
   * a released slab's (until a new slab reuses its index: like {@link #memory}, a stale handle then names an
   * object of the new slab). Exact for a handle whose last hand-over (allocation, free, stash) happened-before the
   * call, as for {@link #free}; in debug mode it asks the debugger's exact state. Allocates nothing.
   *
   * @param handle any handle
   * @return whether it is live in this cache
   * @throws AllocatorClosedException if the cache is closed (the message names {@code isAllocated})
   */
  public boolean isAllocated(long handle) {
    if (closed) {
      throw closedException("isAllocated");
    }
    SlabDebugger d = debugger;
    return d != null ? d.isAllocated(handle) : layer.isOwned(handle);
  }

  /**
   * Returns a view of exactly the object's {@link #objectSize()} bytes, after the checks of {@link
   * #checkHandle(long)}. An access outside the view throws {@link IndexOutOfBoundsException}. Allocates the
   * view object; {@link #memory(long)} and {@link #offset(long)} allocate nothing. Liveness is not checked,
   * as for {@code checkHandle}.
   *
   * @param handle a live handle of this cache
   * @return a segment of {@link #objectSize()} bytes
   * @throws InvalidHandleException as {@link #checkHandle}
   * @throws AllocatorClosedException if the cache is closed (the message names {@code segment})
   */
  @Override
  public MemorySegment segment(long handle) {
    checkHandle(handle, "segment");
    return layer.memoryOf(handle).asSlice(layer.offsetOf(handle), objectSize);
  }

  // ---------------------------------------------------------------- shrink, statistics, close

  /**
   * Returns idle memory to the operating system: flushes the calling thread's magazines, the virtual-thread
   * stripes not in use, the magazines of terminated threads and the depot into the slabs, asks live threads
   * to flush theirs at their next slow-path operation, and releases every empty slab, crediting the budget.
   * It is the same work that the cache's shrinker does when a blocking allocation of any cache sharing the
   * budget asks it to reclaim. The call may wait briefly for the slab lock and the thread-cache registry
   * lock, but never for memory. On a closed cache it does nothing and returns {@code 0}.
   *
   * @return the bytes released and credited to the budget by this call
   */
  public long shrink() {
    if (closed) {
      return 0;
    }
    return shrinkFromOtherThread();
  }

  /**
   * The shrink run by the idle trimmer and by a budget's reclaim, which may overlap {@link #close()}: it
   * holds the read side of {@link #maintenance}, which close waits for.
   */
  private long shrinkFromOtherThread() {
    ReentrantReadWriteLock.ReadLock l = maintenance.readLock();
    l.lock();
    try {
      if (closed) {
        return 0;
      }
      return depot.shrink(!Thread.currentThread().isVirtual());
    } finally {
      l.unlock();
    }
  }

  /**
   * Returns idle memory: the same as {@link #shrink()}, under the name Netty's users know. Can be run
   * periodically by the builder's {@link SlabCacheBuilder#trimWhenIdle(Duration)} policy.
   *
   * @return the bytes released
   */
  public long trim() {
    return shrink();
  }

  /**
   * Registers this cache's {@link SlabCacheMXBean} with the platform MBean server as {@code
   * io.github.slabkit:type=SlabCache,name=<name>}; {@link #close()} unregisters it. Idempotent. The name
   * stands as it is when it is a legal unquoted value (not empty, none of {@code , = : " * ? \} and no
   * line break), so {@code name=extent_state} finds a cache named {@code extent_state}; any other name is
   * written as {@link ObjectName#quote(String)} gives it. The returned name is always the registered one.
   *
   * @return the object name
   * @throws IllegalStateException if another MBean already has that name (two open caches with one name)
   */
  public synchronized ObjectName registerMBean() {
    if (mbeanName != null) {
      return mbeanName;
    }
    try {
      ObjectName on =
          new ObjectName("io.github.slabkit:type=SlabCache,name=" + jmxValue(name));
      ManagementFactory.getPlatformMBeanServer().registerMBean(new SlabCacheMBean(this), on);
      mbeanName = on;
      return on;
    } catch (JMException e) {
      throw new IllegalStateException(
          name + ": cannot register the MBean (" + e.getMessage() + "); give open caches distinct names", e);
    }
  }

  /** The name as an ObjectName value: unquoted when legal unquoted (see {@link #registerMBean()}). */
  private static String jmxValue(String name) {
    boolean plain = !name.isEmpty() && name.chars().noneMatch(c -> ",=:\"*?\\\n\r".indexOf(c) >= 0);
    return plain ? name : ObjectName.quote(name);
  }

  /**
   * Returns the slabinfo figures and counters.
   *
   * Also answers after {@link #close()}.
   *
   * @return a snapshot, not atomic across fields under concurrent use
   */
  public SlabStatistics slabStatistics() {
    MagazineDepot.Totals t = depot.totals();
    SlabLayer.Counts c = layer.counts();
    // Double frees are refused, so allocs - frees is the live count; a snapshot taken while other threads
    // free objects they did not allocate can still lag, and is clamped at 0 rather than shown negative.
    long live = Math.max(0, t.allocs() - t.frees());
    long total = (long) c.totalSlabs() * objectsPerSlab;
    return new SlabStatistics(
        name,
        objectSize,
        layer.stride,
        objectsPerSlab,
        layer.slabBytes,
        live,
        Math.max(0, c.inUse() - live),
        total,
        c.partialSlabs() + c.fullSlabs(),
        c.totalSlabs(),
        c.emptySlabs(),
        t.allocs(),
        t.frees(),
        t.magazineAllocs(),
        t.exchanges(),
        c.grows(),
        c.releases(),
        t.failures(),
        refusedDoubleFrees.get() + c.doubleFrees(),
        (long) c.totalSlabs() * layer.slabBytes,
        t.threadCaches());
  }

  /**
   * Returns the counters every allocator has, taken from {@link #slabStatistics()}. Live objects are those
   * handed to users and not freed. Cached objects are the free ones in magazines and the depot. Total objects
   * are all objects of all slabs, and charged bytes are the slabs' bytes charged to the budget. Refused frees
   * are not counted as frees. Also answers after {@link #close()}.
   *
   * @return a snapshot, not atomic across fields under concurrent use
   */
  @Override
  public AllocatorStatistics statistics() {
    SlabStatistics s = slabStatistics();
    return new AllocatorStatistics(
        name,
        objectSize,
        s.activeObjects(),
        s.cachedObjects(),
        s.totalObjects(),
        s.allocations(),
        s.frees(),
        s.failures(),
        s.bytesCharged());
  }

  /**
   * Returns the number of objects that were still allocated when {@link #close()} ran (0 before close).
   *
   * @return the leaked objects
   */
  public long leakedObjects() {
    return leakedAtClose;
  }

  /**
   * Closes the cache: flushes every magazine, releases every empty slab and unregisters from the budget.
   * Objects still allocated are a leak: they are reported through {@link System.Logger} as {@code BUG <name>:
   * ...} and their slabs are kept, never freed while in use; with {@link SlabCacheBuilder#throwOnLeak(boolean)} the
   * call then throws {@link IllegalStateException}. Idempotent.
   *
   * <p>Must not race with other calls: a call that happens-before the close is complete, and one that
   * follows it throws {@link AllocatorClosedException}. If a call races it anyway, the close still
   * completes and the racing call either completes or throws {@link AllocatorClosedException}, or, touching
   * an object whose slab the close released, {@link InvalidHandleException} (from {@code memory}) or
   * {@link IllegalStateException} (from FFM, on a segment taken before); it never hangs or crashes the JVM,
   * and no object is handed to two callers: from the moment the close begins, the slabs hand out nothing
   * and no slab grows. What a race can cost: a free that races the close's drain of its thread's magazine
   * may be lost to the drain and counted as a leaked object (its slab kept), and a tight loop of calls may
   * go on using its own thread's magazine for a while after the close, since the fast paths read the
   * closed state without a fence (the same as for objects allocated before the close: nothing checks that
   * later accesses to them are legal).
   *
   * <p>Blocking: close waits for a shrink in flight on another thread (the idle trimmer's, or one a budget's
   * reclaim asked for), so that when it returns every slab it released is credited and no shrink of this
   * cache runs any more. Wait-for argument: close holds nothing while it waits; such a shrink waits only
   * for the slab lock and the thread-cache registry lock, whose holders never wait for anything (growth and
   * budget waits happen outside both), and never for a thread in close. So no cycle can form.
   *
   * <p>A cache closed with no object allocated gives its handle tag back for reuse (after all fresh tags);
   * a cache that leaked keeps it, since its handles are still in the users' hands.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    fast = false;
    closed = true;
    layer.close(); // before the drain: from here no call can take from the slabs or grow one
    if (idleTrim != null) {
      idleTrim.cancel(false);
    }
    if (leakAgeCheck != null) {
      leakAgeCheck.cancel(false);
    }
    if (shrinkerRegistration != null) {
      shrinkerRegistration.close();
    }
    // Wait for a trim or reclaim in flight on another thread: after this, none runs (they see closed).
    ReentrantReadWriteLock.WriteLock quiesce = maintenance.writeLock();
    quiesce.lock();
    try {
      // nothing to do: acquiring the lock is the wait
    } finally {
      quiesce.unlock();
    }
    registry.remove(this);
    synchronized (this) {
      if (mbeanName != null) {
        try {
          ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbeanName);
        } catch (JMException e) {
          LOG.log(System.Logger.Level.WARNING, name + ": could not unregister MBean " + mbeanName, e);
        }
        mbeanName = null;
      }
    }
    depot.drainAllQuiescent();
    long leaked = layer.counts().inUse();
    leakedAtClose = leaked;
    if (leaked == 0) {
      tags.release(tag); // a leaking cache keeps its tag: its handles are still in the users' hands
    }
    if (leaked > 0) {
      String msg = reports.atClose(leaked);
      for (LeakSampler.Site site : sampler.live()) {
        SlabEvents.leakSuspect(name, site, System.nanoTime(), "close");
      }
      LOG.log(System.Logger.Level.WARNING, msg);
      if (throwOnLeak) {
        throw new IllegalStateException(msg);
      }
    }
  }

  /**
   * Returns a leak report for the objects live now ({@code BUG <name>: N objects ... still allocated} and,
   * with tracking, their allocation sites grouped with counts), or an empty string when none is live. Exact
   * when no other thread is using the cache.
   *
   * @return the report or {@code ""}
   */
  public String leakReport() {
    long live = slabStatistics().activeObjects();
    if (live <= 0) {
      return "";
    }
    return reports.liveNow(live);
  }

  /** The leak detector's age check, on the shared timer thread: reports each aged sampled object once. */
  private void reportAgedLeaks() {
    if (!closed) {
      reports.reportAged();
    }
  }

  /**
   * Returns the live objects whose allocation the leak detector sampled ({@link
   * SlabCacheBuilder#leakSampling(int)}), oldest first, with their allocation sites; objects already reported
   * for their age ({@link SlabCacheBuilder#leakAge(Duration)}) are no longer listed. Empty when sampling is
   * off. Allocates; for diagnostics, not hot paths. Thread safe; a snapshot, not atomic with concurrent frees.
   *
   * @return the sampled live objects
   */
  public List<SampledAllocation> sampledLiveObjects() {
    long now = System.nanoTime();
    List<SampledAllocation> out = new ArrayList<>();
    for (LeakSampler.Site site : sampler.live()) {
      out.add(
          new SampledAllocation(
              site.handle(), Duration.ofNanos(now - site.allocatedNanos()), site.thread(),
              site.frames()));
    }
    return out;
  }

  /**
   * Returns how many allocations the leak detector sampled since the cache was built.
   *
   * @return the count (0 when sampling is off)
   */
  public long sampledAllocations() {
    return sampler.sampledCount();
  }

  /**
   * Returns the debugging options in force.
   *
   * @return the options ({@link SlabDebug#off()} when off)
   */
  public SlabDebug debugOptions() {
    return debug;
  }

  /**
   * Returns how many debug reports ({@code BUG ...}) this cache has made.
   *
   * @return the count, 0 when debugging is off
   */
  public long debugReports() {
    return debugger == null ? 0 : debugger.reports();
  }

  int magazineSizeForInfo() {
    return magazineSize;
  }

  /**
   * The lock of the slab lists, for tests in this package: holding it stalls every path that reaches the
   * slabs (a refill, a flush, a shrink) at a known point.
   */
  java.util.concurrent.locks.ReentrantLock slabListLockForTests() {
    return layer.lock;
  }

  /**
   * Returns whether {@link #close()} was called.
   *
   * @return whether closed
   */
  public boolean isClosed() {
    return closed;
  }

  // ---------------------------------------------------------------- errors

  AllocatorClosedException closedException(String op) {
    return new AllocatorClosedException(name, op);
  }

  private InvalidHandleException invalid(long handle) {
    String why = layer.whyInvalid(handle);
    return new InvalidHandleException(name, handle, why != null ? why : "is not valid here");
  }

  private static final String DOUBLE_FREE = "(double free)";

  private InvalidHandleException doubleFree(long handle) {
    return new InvalidHandleException(
        name,
        handle,
        "was freed twice " + DOUBLE_FREE + "; it is already free and was not freed again. Find the"
            + " second owner of the handle (debug tracking, SlabDebug flag U, shows where it was freed)");
  }

  AllocationFailedException failure(String request) {
    return new AllocationFailedException(
        name,
        request,
        layer.slabBytes,
        budget,
        "free objects, shrink() caches sharing the budget, or raise the budget's limit");
  }

  @Override
  public String toString() {
    return "SlabCache[" + name + ", " + objectSize + " B objects]";
  }

  /**
   * Whether the fast paths may skip the closed and debug checks (the plain read of {@link #fast}).
   *
   * @return true while open and not debugging
   */
  long tagOfHandles() {
    return tagOfHandles;
  }

  boolean fastPath() {
    return fast;
  }

  /**
   * {@link #closed} read with plain semantics, for the fast paths (see the field's comment).
   *
   * @return whether closed, as far as this thread knows
   */
  boolean closedPlain() {
    return (boolean) CLOSED.get(this);
  }

  // VarHandle mechanics
  private static final java.lang.invoke.VarHandle CLOSED;

  static {
    try {
      CLOSED = java.lang.invoke.MethodHandles.lookup().findVarHandle(SlabCache.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
