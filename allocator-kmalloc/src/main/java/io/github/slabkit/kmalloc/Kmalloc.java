package io.github.slabkit.kmalloc;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.kmalloc.internal.HandleCodec;
import io.github.slabkit.kmalloc.internal.LargeObjects;
import io.github.slabkit.kmalloc.internal.RequestSampler;
import io.github.slabkit.kmalloc.internal.SizeClassArena;
import io.github.slabkit.kmalloc.internal.SizeClasses;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheBuilder;
import io.github.slabkit.slab.SlabDebug;
import io.github.slabkit.slab.SlabInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Variable-size off-heap allocation from size classes, after the kernel's {@code kmalloc}: each class is a
 * {@link SlabCache} ({@code kmalloc-8} ... {@code kmalloc-8k}), all charged to one {@link MemoryBudget};
 * requests above the largest class get their own allocation of whole pages.
 *
 * {@snippet class=io.github.slabkit.examples.snippets.KmallocExamples region=basic}
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #allocate(long)} returns a handle to at least {@code size} bytes ({@link #usableSize(long)} says
 *       how many), never {@code 0}; {@link #memory(long)} and {@link #offset(long)} resolve it without
 *       allocating. The object is aligned to its class's natural alignment: the largest power of two that
 *       divides the class size, at most 4096 (64 for {@code kmalloc-64} and {@code kmalloc-192}, 32 for
 *       {@code kmalloc-96}); large allocations to a page. {@link #allocate(long, long)} takes an explicit
 *       alignment like {@link Arena#allocate(long, long)} and picks the first class that satisfies it.
 *   <li>The handle says without a lookup whether it is a class object (and which class) or a large
 *       allocation; {@link #free(long)} is O(1) for class objects and takes one lock for large ones.
 *   <li>{@link #sizeClass(long)} is an {@link ObjectAllocator} of one class, so a mempool, a reservation or
 *       any code written for fixed-size allocators works over it (the kernel's {@code
 *       mempool_create_kmalloc_pool}). {@link #newArena()} is a confined {@link Arena} backed by the classes.
 *   <li>Contents are not zeroed (use {@code segment(h).fill((byte) 0)} or a zeroing arena).
 * </ul>
 *
 * <h2>Blocking and failure</h2>
 * As {@link SlabCache}: {@link #tryAllocate(long)} never blocks or reclaims and returns {@code 0};
 * {@link #tryAllocate(long, long, TimeUnit)} may reclaim (every cache sharing the budget is a shrinker) and
 * waits up to the timeout; {@link #allocate(long)} waits up to the builder's {@code maxWait} and then throws
 * {@link AllocationFailedException}. A size of 0 or less, or above the builder's {@code maxRequestSize},
 * throws {@link IllegalArgumentException} whatever the mode.
 *
 * <h2>Thread safety and memory consistency</h2>
 * Every method except {@link #close()} may be called from any thread. Actions in a thread prior to
 * {@link #free(long)} happen-before actions following the allocation that hands the same memory out again.
 * {@code close()} must not race with other calls.
 *
 * <h2>Errors</h2>
 * Freeing {@code 0}, a handle of another allocator, a large handle freed already, or (as the class cache
 * detects it) a class handle freed twice throws {@link InvalidHandleException} and changes nothing. Use after
 * {@link #close()} throws {@link AllocatorClosedException}.
 *
 * <h2>Implementation notes</h2>
 * A handle is {@code [kind:6][payload:58]}: kind {@code 1..62} is a class and the payload is the low bits of
 * that class cache's handle; kind 63 is a large allocation (slot and generation in a table). How the slab
 * handle's dropped top bits are recovered, and why that is checked rather than assumed, is in {@code
 * internal.HandleCodec}. Large allocations are each one shared {@code Arena}: freeable from any thread with no
 * restricted method, but their free is a handshake with every thread (tens of microseconds), and each
 * creates a few heap objects (the arena and its segment); the class paths allocate nothing on the heap.
 */
@SuppressWarnings("InvalidSnippet") // the example is an external snippet: compiled and tested in examples
public final class Kmalloc implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Kmalloc.class.getName());
  private static final int NOWAIT = 0;
  private static final int TIMED = 1;
  private static final int BLOCKING = 2;

  private final String name;
  private final SizeClasses classes;
  private final SlabCache[] caches;
  private final HandleCodec codec;
  private final LargeObjects large;
  private final RequestSampler requests;
  private final MemoryBudget budget;
  private final long maxClassSize;
  private final long maxRequest;
  private final long maxWaitNanos;
  private final boolean throwOnLeak;
  private volatile boolean closed;

  Kmalloc(KmallocBuilder b) {
    this.name = b.name;
    this.classes =
        b.scheme == SizeClassScheme.KERNEL
            ? SizeClasses.kernel(b.maxClassSize)
            : SizeClasses.quarter(b.maxClassSize);
    for (long size : b.classDebug.keySet()) {
      if (Arrays.binarySearch(classes.sizes(), size) < 0) {
        throw new IllegalArgumentException(
            name + ": debug options given for class size " + size + " B, but the classes are "
                + Arrays.toString(classes.sizes()));
      }
    }
    this.budget = b.budget;
    this.maxClassSize = classes.maxSize();
    this.maxRequest = b.maxRequest;
    this.maxWaitNanos = b.maxWait.toNanos();
    this.throwOnLeak = b.throwOnLeak;
    this.codec = new HandleCodec(classes.count());
    this.large = new LargeObjects(name, budget);
    this.requests = new RequestSampler(classes.count(), b.samplingInterval);
    this.caches = new SlabCache[classes.count()];
    try {
      for (int c = 0; c < caches.length; c++) {
        caches[c] = classCache(b, c);
      }
    } catch (RuntimeException e) {
      for (SlabCache cache : caches) {
        if (cache != null) {
          cache.close();
        }
      }
      throw e;
    }
  }

  private SlabCache classCache(KmallocBuilder b, int c) {
    long size = classes.size(c);
    SlabCacheBuilder cb =
        SlabCache.builder(name + "-" + classes.label(c))
            .objectSize(size)
            .alignment(classes.alignment(c))
            .budget(budget)
            .maxWait(b.maxWait)
            .registry(b.registry)
            .throwOnLeak(b.throwOnLeak)
            // Big objects get smaller magazines, as SLUB gives them fewer per-CPU objects: a thread's idle
            // objects per class stay under about 32 KiB (8 to 64 handles).
            .magazineSize(Math.clamp(32 * 1024 / size, 8, 64));
    SlabDebug d = b.classDebug.get(size);
    if (d == null) {
      d = b.debug;
    }
    if (d != null) {
      cb.debug(d);
    }
    return cb.build();
  }

  /**
   * Starts building an allocator.
   *
   * @return a builder with the defaults (kernel classes up to 8 KiB, unlimited budget)
   */
  public static KmallocBuilder builder() {
    return new KmallocBuilder();
  }

  /**
   * Returns the name used in messages and as the prefix of the class caches' names.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the sizes of the classes, smallest first.
   *
   * @return a copy of the sizes
   */
  public long[] classSizes() {
    return classes.sizes();
  }

  /**
   * Returns the budget every class and large allocation is charged to.
   *
   * @return the budget
   */
  public MemoryBudget budget() {
    return budget;
  }

  // ---------------------------------------------------------------- allocation

  /**
   * Allocates at least {@code size} bytes, reclaiming and waiting up to the builder's {@code maxWait}.
   *
   * @param size the bytes wanted, 1 to the builder's {@code maxRequestSize}
   * @return the handle, never 0
   * @throws AllocationFailedException if the budget stayed exhausted (the message names the class), or the
   *     operating system refused a large allocation's memory
   * @throws IllegalArgumentException if {@code size} is out of range
   * @throws AllocatorClosedException if closed
   */
  public long allocate(long size) {
    if (size > 0 && size <= maxClassSize) {
      int c = classes.indexOf(size);
      long sh = caches[c].allocate();
      requests.record(c, size);
      return encode(c, sh);
    }
    return allocateUninterruptibly(size, 1, BLOCKING);
  }

  /**
   * Allocates at least {@code size} bytes aligned to {@code alignment}, as {@link #allocate(long)}.
   *
   * @param size the bytes wanted, 1 to the builder's {@code maxRequestSize}
   * @param alignment a power of two; a class whose natural alignment is smaller is skipped. Above every
   *     class's, the object is a large allocation of its own, which asks the operating system for {@code size +
   *     alignment} bytes (the JDK's padding for alignments above malloc's)
   * @return the handle, never 0
   * @throws AllocationFailedException if the budget stayed exhausted, or the operating system refused the
   *     memory (for example for an alignment of 2^40); nothing is charged to the budget then
   * @throws IllegalArgumentException if {@code size} is out of range or {@code alignment} not a power of two
   */
  public long allocate(long size, long alignment) {
    return allocateUninterruptibly(size, checkAlignment(alignment), BLOCKING);
  }

  /**
   * Allocates without blocking and without reclaiming memory.
   *
   * @param size the bytes wanted, 1 to the builder's {@code maxRequestSize}
   * @return the handle, or 0 if no object is at hand and the budget has no room (or the operating system
   *     refused a large allocation's memory)
   * @throws IllegalArgumentException if {@code size} is out of range
   * @throws AllocatorClosedException if closed
   */
  public long tryAllocate(long size) {
    if (size > 0 && size <= maxClassSize) {
      int c = classes.indexOf(size);
      long sh = caches[c].tryAllocate();
      if (sh == 0) {
        return 0;
      }
      requests.record(c, size);
      return encode(c, sh);
    }
    return allocateUninterruptibly(size, 1, NOWAIT);
  }

  /**
   * Allocates, reclaiming and waiting up to the timeout.
   *
   * @param size the bytes wanted, 1 to the builder's {@code maxRequestSize}
   * @param timeout how long to wait at most
   * @param unit the unit of {@code timeout}
   * @return the handle, or 0 on timeout (or if the operating system refused a large allocation's memory)
   * @throws InterruptedException if interrupted while waiting
   * @throws IllegalArgumentException if {@code size} is out of range
   */
  public long tryAllocate(long size, long timeout, TimeUnit unit) throws InterruptedException {
    return allocate(size, 1, TIMED, unit.toNanos(timeout));
  }

  private long allocateUninterruptibly(long size, long alignment, int mode) {
    try {
      return allocate(size, alignment, mode, maxWaitNanos);
    } catch (InterruptedException e) {
      throw new AssertionError("only TIMED mode is interruptible", e);
    }
  }

  private long allocate(long size, long alignment, int mode, long nanos) throws InterruptedException {
    checkSize(size);
    int c = classes.indexOf(size, alignment);
    if (c < 0) {
      return allocateLarge(size, alignment, mode, nanos);
    }
    SlabCache cache = caches[c];
    long sh =
        switch (mode) {
          case NOWAIT -> cache.tryAllocate();
          case TIMED -> cache.tryAllocate(nanos, TimeUnit.NANOSECONDS);
          default -> cache.allocate();
        };
    if (sh == 0) {
      return 0;
    }
    requests.record(c, size);
    return encode(c, sh);
  }

  private long allocateLarge(long size, long alignment, int mode, long nanos)
      throws InterruptedException {
    if (closed) {
      throw new AllocatorClosedException(name, "allocate");
    }
    long h = large.allocate(size, alignment, mode == NOWAIT ? -1 : nanos, mode == BLOCKING);
    if (h == 0 && mode == BLOCKING) {
      throw new AllocationFailedException(
          name,
          "a large allocation of " + size + " B (" + LargeObjects.usableSize(size) + " B in whole pages)",
          LargeObjects.usableSize(size),
          budget,
          "free objects, shrink() caches sharing the budget, or raise the budget's limit");
    }
    return h;
  }

  private long encode(int c, long slabHandle) {
    try {
      return codec.encode(c, slabHandle, caches[c].name());
    } catch (IllegalStateException e) {
      caches[c].free(slabHandle);
      throw e;
    }
  }

  /**
   * Allocates {@code n} objects of {@code size} bytes into {@code dst[0..n)}, all or nothing, reclaiming and
   * waiting like {@link #allocate(long)}.
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= dst.length}
   * @param size the bytes of each
   * @throws AllocationFailedException if not all could be had; the caller then holds none
   * @throws IllegalArgumentException if {@code n} or {@code size} is out of range
   */
  public void allocateBulk(long[] dst, int n, long size) {
    if (!bulk(dst, n, size, true)) {
      throw new AllocationFailedException(
          name, n + " objects of " + size + " B in bulk (all or nothing)", (long) n * size, budget,
          "free objects, shrink() caches sharing the budget, or raise the budget's limit");
    }
  }

  /**
   * Allocates {@code n} objects of {@code size} bytes into {@code dst[0..n)}, all or nothing, without
   * blocking or reclaiming.
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= dst.length}
   * @param size the bytes of each
   * @return whether all {@code n} were allocated (if not, none are held)
   * @throws IllegalArgumentException if {@code n} or {@code size} is out of range
   */
  public boolean tryAllocateBulk(long[] dst, int n, long size) {
    return bulk(dst, n, size, false);
  }

  private boolean bulk(long[] dst, int n, long size, boolean blocking) {
    Allocators.checkBulk(dst, n);
    checkSize(size);
    if (n == 0) {
      return true;
    }
    int c = classes.indexOf(size, 1);
    if (c < 0) {
      for (int i = 0; i < n; i++) {
        dst[i] = blocking ? allocateOrZero(size) : tryAllocate(size);
        if (dst[i] == 0) {
          freeBulk(dst, i);
          return false;
        }
      }
      return true;
    }
    SlabCache cache = caches[c];
    if (blocking) {
      cache.allocateBulk(dst, n);
    } else if (!cache.tryAllocateBulk(dst, n)) {
      return false;
    }
    int i = 0;
    try {
      for (; i < n; i++) {
        dst[i] = codec.encode(c, dst[i], cache.name());
      }
    } catch (IllegalStateException e) {
      for (int j = 0; j < n; j++) {
        cache.free(j < i ? codec.slabHandle(c, dst[j]) : dst[j]);
      }
      throw e;
    }
    requests.recordBulk(c, size, n);
    return true;
  }

  private long allocateOrZero(long size) {
    try {
      return allocate(size);
    } catch (AllocationFailedException e) {
      return 0;
    }
  }

  // ---------------------------------------------------------------- free and reallocate

  /**
   * Frees an object. O(1) and lock-free on the class path.
   *
   * @param handle a handle of this allocator, not yet freed
   * @throws InvalidHandleException if the handle is 0, not of this allocator, or detected as freed already;
   *     nothing changes
   * @throws AllocatorClosedException if closed
   */
  public void free(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      SlabCache cache = caches[c];
      try {
        cache.free(codec.slabHandle(c, handle));
      } catch (InvalidHandleException e) {
        throw refused(handle, e);
      }
      return;
    }
    freeLarge(handle);
  }

  private void freeLarge(long handle) {
    if (closed) {
      throw new AllocatorClosedException(name, "free");
    }
    checkKind(handle);
    String why = large.free(handle);
    if (why != null) {
      throw new InvalidHandleException(name, handle, why);
    }
  }

  /**
   * {@link ObjectAllocator#stash} for a size-class view: an object of a slab-backed class is stashed in its
   * slab cache, so a later free or stash of it is refused as a double free until {@link #unstash}. The
   * caller (the view) has checked the handle with {@link #checkHandle}; a large object needs nothing more.
   */
  void stash(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      try {
        caches[c].stash(codec.slabHandle(c, handle));
      } catch (InvalidHandleException e) {
        throw refused(handle, e);
      }
    }
  }

  /** Undoes {@link #stash}. */
  void unstash(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      caches[c].unstash(codec.slabHandle(c, handle));
    }
  }

  /**
   * Frees {@code src[0..n)}.
   *
   * @param src the handles
   * @param n how many, {@code 0 <= n <= src.length}
   * @throws InvalidHandleException as {@link #free}; the handles before the bad one are freed, the bad one
   *     and those after it are not
   */
  public void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    for (int i = 0; i < n; i++) {
      free(src[i]);
    }
  }

  /**
   * Resizes an object like the kernel's {@code krealloc}: if {@code newSize} fits the object's usable size,
   * the same handle is returned and nothing moves (shrinking never moves either); otherwise a new object is
   * allocated as {@link #allocate(long)} does, the old one's usable bytes are copied, and the old one is freed.
   *
   * <p>The handle's liveness is checked exactly first, whether the object would stay or move: a freed
   * handle is refused even when its slab still exists and the object would fit in place, and nothing is
   * allocated, copied or freed then. The check is read-only ({@link SlabCache#isAllocated}): a refused
   * handle changes no statistic.
   *
   * @param handle a live handle
   * @param newSize the bytes wanted, 1 to the builder's {@code maxRequestSize}
   * @return the handle to use from now on (the old one is invalid if it differs)
   * @throws AllocationFailedException if a move was needed and failed; the old handle is then still valid
   * @throws InvalidHandleException if {@code handle} is not live here ({@code 0}, another allocator's, or
   *     freed); nothing changes
   * @throws IllegalArgumentException if {@code newSize} is out of range
   */
  public long reallocate(long handle, long newSize) {
    return reallocate(handle, newSize, 1);
  }

  /**
   * Resizes an object as {@link #reallocate(long, long)}, keeping it aligned to {@code alignment}: it stays
   * in place only if it fits and its address is so aligned.
   *
   * @param handle a live handle
   * @param newSize the bytes wanted
   * @param alignment a power of two
   * @return the handle to use from now on
   * @throws AllocationFailedException if a move was needed and failed; the old handle is then still valid
   * @throws InvalidHandleException if {@code handle} is not live here (also a freed one); nothing changes
   */
  public long reallocate(long handle, long newSize, long alignment) {
    checkSize(newSize);
    checkAlignment(alignment);
    long usable = usableSize(handle);
    checkLive(handle);
    long address = memory(handle).address() + offset(handle);
    if (newSize <= usable && (address & (alignment - 1)) == 0) {
      return handle;
    }
    long moved = allocate(newSize, alignment);
    try {
      MemorySegment.copy(memory(handle), offset(handle), memory(moved), offset(moved), Math.min(usable, newSize));
      free(handle);
    } catch (RuntimeException | Error e) {
      // checkLive refused freed handles; a free racing this call on another thread (a caller bug) can still
      // make free(handle) throw. The new object must not be lost then: the caller never sees it.
      try {
        free(moved);
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return moved;
  }

  /**
   * Checks exactly that {@code handle}, which {@link #usableSize} found well-formed, names an object the
   * caller holds: {@link #checkHandle} cannot tell a freed class object whose slab still exists from a live
   * one, the class cache's read-only {@link SlabCache#isAllocated} can. A large handle was checked exactly
   * already.
   */
  private void checkLive(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0 && !caches[c].isAllocated(codec.slabHandle(c, handle))) {
      throw new InvalidHandleException(
          name, handle, "is not allocated (freed, or stashed by a pool): reallocate a live object only");
    }
  }

  // ---------------------------------------------------------------- access

  /**
   * Returns the segment holding the object, for layout {@code VarHandle}s with {@link #offset(long)}.
   * Allocates nothing; does not validate beyond the kind (use {@link #segment(long)} for a checked view).
   *
   * @param handle a live handle
   * @return the segment (a whole slab, or a large allocation)
   */
  public MemorySegment memory(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      return caches[c].memory(codec.slabHandle(c, handle));
    }
    checkKind(handle);
    return large.memory(handle);
  }

  /**
   * Returns the object's offset in {@link #memory(long)}. Allocates nothing.
   *
   * @param handle a live handle
   * @return the byte offset
   */
  public long offset(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      return caches[c].offset(codec.slabHandle(c, handle));
    }
    return 0;
  }

  /**
   * Returns a view of exactly the object's usable bytes; accesses outside it throw {@link
   * IndexOutOfBoundsException}. Checks the handle first.
   *
   * @param handle a live handle
   * @return a segment of {@link #usableSize(long)} bytes
   * @throws InvalidHandleException if the handle is not one of this allocator's
   */
  public MemorySegment segment(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      try {
        return caches[c].segment(codec.slabHandle(c, handle));
      } catch (InvalidHandleException e) {
        throw refused(handle, e);
      }
    }
    checkHandle(handle);
    return large.memory(handle);
  }

  /**
   * Returns how many bytes the object can hold: its class size, or a large allocation's whole pages.
   *
   * @param handle a live handle
   * @return the usable size, at least the size that was asked for
   * @throws InvalidHandleException if the handle is not one of this allocator's
   */
  public long usableSize(long handle) {
    checkHandle(handle);
    int c = HandleCodec.classOf(handle);
    return Integer.compareUnsigned(c, caches.length) < 0
        ? classes.size(c)
        : large.memory(handle).byteSize();
  }

  /**
   * Checks cheaply that {@code handle} could be a live handle of this allocator (for a class object, as its
   * cache's {@code checkHandle} does; a large handle exactly).
   *
   * @param handle the handle
   * @throws InvalidHandleException if it cannot be
   */
  public void checkHandle(long handle) {
    int c = HandleCodec.classOf(handle);
    if (Integer.compareUnsigned(c, caches.length) < 0) {
      try {
        caches[c].checkHandle(codec.slabHandle(c, handle));
      } catch (InvalidHandleException e) {
        throw refused(handle, e);
      }
      return;
    }
    checkKind(handle);
    String why = large.whyInvalid(handle);
    if (why != null) {
      throw new InvalidHandleException(name, handle, why);
    }
  }

  /**
   * Returns the size of the class that serves a request of {@code size} bytes, or the bytes a large
   * allocation of it takes.
   *
   * @param size the request, 1 to the builder's {@code maxRequestSize}
   * @return the usable size such a request gets
   */
  public long usableSizeFor(long size) {
    checkSize(size);
    int c = classes.indexOf(size, 1);
    return c < 0 ? LargeObjects.usableSize(size) : classes.size(c);
  }

  // ---------------------------------------------------------------- views

  /**
   * Returns an {@link ObjectAllocator} that allocates objects of {@code size} bytes from this allocator's
   * class for that size, for a mempool, a reservation or any fixed-size code. Its handles are handles of
   * this allocator ({@link #free(long)} and {@link #usableSize(long)} accept them); its {@code objectSize()}
   * is the class size; its statistics are the whole class's. Closing it closes only the view.
   *
   * @param size the object size, 1 to the largest class size
   * @return the view
   * @throws IllegalArgumentException if {@code size} is out of range or above the largest class
   */
  public ObjectAllocator sizeClass(long size) {
    checkSize(size);
    int c = classes.indexOf(size, 1);
    if (c < 0) {
      throw new IllegalArgumentException(
          name + ": no size class holds " + size + " B (the largest is " + maxClassSize
              + " B); raise maxClassSize or allocate large objects with allocate(size)");
    }
    return new SizeClassAllocator(this, caches[c], c, size);
  }

  int classOfHandle(long handle) {
    return HandleCodec.classOf(handle);
  }

  /**
   * Returns a new confined arena whose segments come from the size classes, zero-initialized like {@link
   * Arena#ofConfined()}'s. See {@link #newArena(boolean)}.
   *
   * @return the arena
   */
  public Arena newArena() {
    return newArena(true);
  }

  /**
   * Returns a new confined arena whose segments come from the size classes (large ones from large
   * allocations); its {@code close()} frees them all.
   *
   * <p>Like {@link Arena#ofConfined()}: only the thread that called this method may allocate from it, access
   * its segments or close it (others get {@link WrongThreadException}); after close its segments are
   * inaccessible ({@link IllegalStateException}); closing twice throws {@link IllegalStateException}.
   * Allocation blocks and fails as {@link #allocate(long, long)} does. Each call returns a new arena object
   * (they are not pooled); the memory behind the segments is what is pooled.
   *
   * <p><b>Native access.</b> Binding a class object to the arena's scope uses the restricted method {@link
   * MemorySegment#reinterpret(long, Arena, java.util.function.Consumer)}: run with {@code
   * --enable-native-access=io.github.slabkit.kmalloc} (or {@code ALL-UNNAMED} on the class path), else the
   * JDK prints a warning on first use, or throws {@link IllegalCallerException} under {@code
   * --illegal-native-access=deny}.
   *
   * @param zeroed whether segments are zero-filled (as every JDK arena's are); {@code false} skips the fill
   * @return the arena
   */
  public Arena newArena(boolean zeroed) {
    if (closed) {
      throw new AllocatorClosedException(name, "newArena");
    }
    return new SizeClassArena(this, zeroed);
  }

  // ---------------------------------------------------------------- statistics and lifecycle

  /**
   * Returns a snapshot of every class and of the large allocations.
   *
   * @return the statistics
   */
  public KmallocStatistics statistics() {
    List<SizeClassStatistics> list = new ArrayList<>(caches.length);
    for (int c = 0; c < caches.length; c++) {
      list.add(
          new SizeClassStatistics(
              caches[c].name(),
              classes.size(c),
              classes.alignment(c),
              requests.samples(c),
              requests.requestedBytes(c),
              caches[c].slabStatistics()));
    }
    LargeObjects.Counts l = large.counts();
    return new KmallocStatistics(
        name, list, l.live(), l.liveBytes(), l.allocations(), l.frees(), l.failures(),
        requests.interval(), budget.used());
  }

  /**
   * Returns the {@code /proc/slabinfo}-style table of the class caches.
   *
   * @return the text
   */
  public String slabInfo() {
    return SlabInfo.render(List.of(caches));
  }

  /**
   * Returns idle memory of every class to the operating system ({@link SlabCache#shrink()}).
   *
   * @return the bytes released
   */
  public long shrink() {
    long n = 0;
    for (SlabCache c : caches) {
      n += c.shrink();
    }
    return n;
  }

  /**
   * Closes every class cache. Objects still allocated are a leak: each class cache reports its own (their
   * slabs are kept), live large allocations are reported and kept; with {@link
   * KmallocBuilder#throwOnLeak(boolean)} the call then throws {@link IllegalStateException}. Idempotent.
   * Must not race with other calls.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    StringBuilder leaks = new StringBuilder();
    for (SlabCache c : caches) {
      try {
        c.close();
      } catch (IllegalStateException e) {
        leaks.append(e.getMessage()).append('\n');
      }
    }
    long liveLarge = large.live();
    if (liveLarge > 0) {
      String msg =
          "BUG " + name + ": " + liveLarge + " large allocations still live at close(); their memory is kept,"
              + " not freed. Free every object before close()";
      LOG.log(System.Logger.Level.WARNING, msg);
      leaks.append(msg).append('\n');
    }
    if (throwOnLeak && !leaks.isEmpty()) {
      throw new IllegalStateException(leaks.toString().strip());
    }
  }

  /**
   * Returns whether {@link #close()} was called.
   *
   * @return whether closed
   */
  public boolean isClosed() {
    return closed;
  }

  // ---------------------------------------------------------------- checks and errors

  private void checkSize(long size) {
    if (size <= 0) {
      throw new IllegalArgumentException(
          name + ": size must be at least 1 B, was " + size + " (kmalloc has no zero-size objects)");
    }
    if (size > maxRequest) {
      throw new IllegalArgumentException(
          name + ": size " + size + " B is above the limit of " + Allocators.bytes(maxRequest)
              + "; raise KmallocBuilder.maxRequestSize or allocate it from an Arena");
    }
  }

  private long checkAlignment(long alignment) {
    if (alignment <= 0 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException(
          name + ": alignment must be a positive power of two, was " + alignment);
    }
    return alignment;
  }

  private void checkKind(long handle) {
    if (handle == 0) {
      throw new InvalidHandleException(name, handle, "is the null handle (0); there is nothing to free");
    }
    if ((handle >>> HandleCodec.KIND_SHIFT) != HandleCodec.LARGE_KIND) {
      throw new InvalidHandleException(
          name, handle,
          "is not a handle of this allocator (its kind field " + (handle >>> HandleCodec.KIND_SHIFT)
              + " names no size class; there are " + caches.length + "); free it where it was allocated");
    }
  }

  private InvalidHandleException refused(long handle, InvalidHandleException e) {
    return new InvalidHandleException(name, handle, "was refused by its class cache: " + e.getMessage());
  }

  @Override
  public String toString() {
    return "Kmalloc[" + name + ", " + caches.length + " classes up to " + maxClassSize + " B]";
  }
}
