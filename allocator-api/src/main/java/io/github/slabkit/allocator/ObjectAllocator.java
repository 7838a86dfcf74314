package io.github.slabkit.allocator;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * An allocator of fixed-size off-heap objects named by opaque {@code long} handles.
 *
 * <h2>Handles</h2>
 * {@link #NO_HANDLE} ({@code 0}) is never a valid handle; every other value is opaque. A handle is valid from
 * the allocation that returned it until it is passed to {@link #free}. The zero-garbage access path resolves a
 * handle to the pair a layout {@code VarHandle} takes:
 * {@snippet :
 * long h = allocator.allocate();
 * LONG.set(allocator.memory(h), allocator.offset(h), 42L); // allocates nothing
 * }
 * {@link #segment(long)} is the convenient, bounds-limited view (it allocates a small segment object).
 *
 * <h2>Blocking modes</h2>
 * <ul>
 *   <li>{@link #tryAllocate()} never blocks and never reclaims memory (the kernel's GFP_NOWAIT); it returns
 *       {@code 0} when nothing is at hand.
 *   <li>{@link #tryAllocate(long, TimeUnit)} may reclaim and wait up to the timeout; {@code 0} on timeout.
 *   <li>{@link #allocate()} may reclaim and wait. Implementations document whether it can fail: a slab
 *       cache throws {@link AllocationFailedException} when its budget stays exhausted past its wait limit;
 *       a mempool never fails.
 * </ul>
 *
 * <h2>Thread safety and memory consistency</h2>
 * Implementations in Slabkit are thread safe. Actions in a thread prior to {@link #free} of a handle
 * happen-before actions subsequent to the allocation that returns the same object in another thread: the
 * bytes written before the free are visible to the next owner.
 *
 * <h2>Errors</h2>
 * Freeing {@code 0}, a handle of another allocator, or (where the implementation detects it) a handle that
 * is already free throws {@link InvalidHandleException}; any use after {@link #close()} throws
 * {@link AllocatorClosedException}. Neither corrupts the allocator.
 */
public interface ObjectAllocator extends AutoCloseable {

  /** The handle value that means "no object". */
  long NO_HANDLE = 0L;

  /**
   * Returns the name used in statistics and error messages.
   *
   * @return the allocator's name
   */
  String name();

  /**
   * Returns the usable size in bytes of every object.
   *
   * @return the object size in bytes, at least 1
   */
  long objectSize();

  /**
   * Allocates without blocking and without reclaiming memory.
   *
   * @return a handle, or {@link #NO_HANDLE} if no object is available without waiting
   * @throws AllocatorClosedException if the allocator is closed
   */
  long tryAllocate();

  /**
   * Allocates, reclaiming memory and waiting up to the given time if needed.
   *
   * @param timeout how long to wait at most; zero or negative means do not wait (reclaim is still allowed)
   * @param unit the unit of {@code timeout}
   * @return a handle, or {@link #NO_HANDLE} if none could be had in time
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws AllocatorClosedException if the allocator is closed
   */
  long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException;

  /**
   * Allocates, reclaiming memory and waiting as the implementation documents.
   *
   * @return a handle, never {@link #NO_HANDLE}
   * @throws AllocationFailedException if the implementation can fail and did (its message names the
   *     allocator, the request, the limit and the usage)
   * @throws AllocatorClosedException if the allocator is closed
   */
  long allocate();

  /**
   * Returns an object to the allocator. The handle must not be used afterwards.
   *
   * @param handle a handle returned by this allocator and not yet freed
   * @throws InvalidHandleException if {@code handle} is {@code 0}, belongs to another allocator, or is
   *     detected to be free already; the allocator is unchanged
   * @throws AllocatorClosedException if the allocator is closed
   */
  void free(long handle);

  /**
   * Checks cheaply that {@code handle} is one this allocator could have issued: not {@code 0}, of this
   * allocator, in its range. It does not prove the handle is live (that is a debug-mode check). Allocators
   * built on top of another one (a mempool) call it before they keep a handle.
   *
   * @param handle the handle to check
   * @throws InvalidHandleException if the handle cannot be one of this allocator's
   */
  void checkHandle(long handle);

  /**
   * Tells this allocator that an allocator built on top of it (a mempool's reserve) takes a live object back
   * from its user and keeps it, instead of freeing it here. From then on the object counts as free for
   * double-free detection: a {@link #free} or another {@code stash} of the handle is refused, as for an
   * object freed here, until {@link #unstash} hands it out again. Without this, an object freed twice could
   * sit in the reserve and in this allocator at once, and two callers would later get the same object. The
   * object's memory stays allocated and usable by the caller of {@code stash}.
   *
   * <p>The default only validates the handle as {@link #checkHandle} does; allocators that detect double
   * frees (a slab cache) override both methods. A caller pairs every successful {@code stash} with an {@link
   * #unstash} before the object is handed out again or freed here. Thread safety and ordering are those of
   * {@link #free}: the object must reach the next caller through a happens-before edge. Both methods must
   * not block, wait for memory or call back into the allocator on top: a mempool calls them while it holds
   * its reserve's lock (the slab cache's versions are one side-table store each).
   *
   * @param handle a handle of this allocator, allocated and not yet freed or stashed
   * @throws InvalidHandleException if the handle is {@code 0}, another allocator's, or detected to be free or
   *     stashed already (a double free); nothing changes
   * @throws AllocatorClosedException if the allocator is closed
   */
  default void stash(long handle) {
    checkHandle(handle);
  }

  /**
   * Undoes {@link #stash}: the object is handed out again by the allocator on top (or is about to be freed
   * here), and counts as allocated once more. The default does nothing. The caller must hold a handle it
   * stashed and has not unstashed; nothing else is checked.
   *
   * @param handle a handle the caller stashed
   */
  default void unstash(long handle) {}

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, without blocking or reclaiming.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @return {@code true} if all {@code n} were allocated; {@code false} if none were (dst is then unchanged
   *     in meaning: its first {@code n} slots hold no handle the caller owns)
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws RuntimeException whatever {@code tryAllocate()} throws (e.g. {@link AllocatorClosedException});
   *     the default frees the objects it had taken before rethrowing it, so the caller holds none
   */
  default boolean tryAllocateBulk(long[] dst, int n) {
    Allocators.checkBulk(dst, n);
    int i = 0;
    try {
      for (; i < n; i++) {
        long h = tryAllocate();
        if (h == NO_HANDLE) {
          freeBulk(dst, i);
          return false;
        }
        dst[i] = h;
      }
    } catch (RuntimeException | Error e) {
      freeAfter(e, dst, i);
      throw e;
    }
    return true;
  }

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, reclaiming and waiting like
   * {@link #allocate()}.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @throws AllocationFailedException if not all could be allocated; none are then held by the caller
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws RuntimeException whatever {@code allocate()} throws; the default frees the objects it had taken
   *     before rethrowing it, so the caller holds none
   */
  default void allocateBulk(long[] dst, int n) {
    Allocators.checkBulk(dst, n);
    int i = 0;
    try {
      for (; i < n; i++) {
        dst[i] = allocate();
      }
    } catch (RuntimeException | Error e) {
      freeAfter(e, dst, i);
      throw e;
    }
  }

  /**
   * The roll-back of a bulk allocation that exception {@code e} stopped after {@code i} objects: frees them,
   * so that the caller holds none; a failure of that free is attached to {@code e} as suppressed.
   */
  private void freeAfter(Throwable e, long[] dst, int i) {
    try {
      freeBulk(dst, i);
    } catch (RuntimeException | Error f) {
      e.addSuppressed(f);
    }
  }

  /**
   * Frees {@code src[0..n)}.
   *
   * @param src the handles to free
   * @param n how many, {@code 0 <= n <= src.length}
   * @throws InvalidHandleException as {@link #free}; the handles before the bad one are freed, the bad one
   *     and those after it are not
   */
  default void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    for (int i = 0; i < n; i++) {
      free(src[i]);
    }
  }

  /**
   * Returns the memory segment that holds the object, for use with layout {@code VarHandle}s together
   * with {@link #offset(long)}. Allocates nothing. The segment may be larger than the object; writing outside
   * {@code [offset(h), offset(h) + objectSize())} corrupts other objects.
   *
   * @param handle a live handle of this allocator
   * @return the segment holding the object
   */
  MemorySegment memory(long handle);

  /**
   * Returns the object's base offset in {@link #memory(long)}. Allocates nothing.
   *
   * @param handle a live handle of this allocator
   * @return the byte offset of the object in its segment
   */
  long offset(long handle);

  /**
   * Returns a view of exactly the object's bytes: accesses outside it throw
   * {@link IndexOutOfBoundsException}.
   *
   * @param handle a live handle of this allocator
   * @return a segment of {@link #objectSize()} bytes
   */
  default MemorySegment segment(long handle) {
    return memory(handle).asSlice(offset(handle), objectSize());
  }

  /**
   * Returns an allocation context bound to the calling thread (see {@link LocalAllocator}). The default
   * checks the owner on every call and delegates to this allocator; a slab cache and a mempool return
   * contexts that skip the per-call thread lookup.
   *
   * @return a new context owned by the calling thread
   * @throws AllocatorClosedException if the allocator is closed
   */
  default LocalAllocator local() {
    return new DelegatingLocalAllocator(this);
  }

  /**
   * Returns a snapshot of the allocator's counters. The snapshot is not atomic across fields when other
   * threads allocate concurrently; each field is a value it had during the call.
   *
   * @return the statistics
   */
  AllocatorStatistics statistics();

  /**
   * Releases the allocator's memory. Implementations say what happens to objects still allocated (a slab
   * cache reports them as a leak and keeps their memory). Idempotent. Must not race with other operations.
   */
  @Override
  void close();
}
