package io.github.slabkit.allocator;

/**
 * An allocation context bound to the thread that created it: the allocating and freeing half of an {@link
 * ObjectAllocator} for one thread, without the per-call lookup of the thread's state. A thread-per-core
 * engine, an event loop or a single-writer agent takes one context per thread and keeps it.
 *
 * {@snippet :
 * try (LocalAllocator local = allocator.local()) { // on the thread that will use it
 *   long h = local.allocate();
 *   local.free(h);
 * }
 * }
 *
 * <h2>Ownership</h2>
 * Only the owner thread ({@link #owner()}) may call {@link #tryAllocate()}, {@link #allocate()}, {@link
 * #free} and {@link #close()}; each implementation says what it checks (a call from another thread throws
 * {@link IllegalStateException} where it is detected). Handles are those of the allocator: one allocated
 * through a context may be freed through the allocator or another thread's context, and the other way round.
 *
 * <h2>Blocking, failure, memory consistency</h2>
 * As the allocator's methods of the same names; the happens-before edge from a free to the next allocation
 * of the object holds across contexts and threads.
 */
public interface LocalAllocator extends AutoCloseable {

  /**
   * Allocates without blocking, as {@link ObjectAllocator#tryAllocate()}.
   *
   * @return a handle, or {@link ObjectAllocator#NO_HANDLE} if nothing is at hand
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
   */
  long tryAllocate();

  /**
   * Allocates, reclaiming and waiting as {@link ObjectAllocator#allocate()}.
   *
   * @return a handle, never {@link ObjectAllocator#NO_HANDLE}
   * @throws AllocationFailedException as the allocator's {@code allocate()}
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
   */
  long allocate();

  /**
   * Frees an object of the allocator, as {@link ObjectAllocator#free(long)}.
   *
   * @param handle a handle of the allocator, allocated and not yet freed
   * @throws InvalidHandleException as the allocator's {@code free}; nothing changes
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
   */
  void free(long handle);

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, without blocking, as {@link
   * ObjectAllocator#tryAllocateBulk}.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @return {@code true} if all {@code n} were allocated; {@code false} if none are held by the caller
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
   * @throws RuntimeException whatever {@code tryAllocate()} throws; the default frees the objects it had
   *     taken before rethrowing it, so the caller holds none
   */
  default boolean tryAllocateBulk(long[] dst, int n) {
    Allocators.checkBulk(dst, n);
    int i = 0;
    try {
      for (; i < n; i++) {
        long h = tryAllocate();
        if (h == ObjectAllocator.NO_HANDLE) {
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
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, reclaiming and waiting as {@link
   * ObjectAllocator#allocateBulk}.
   *
   * @param dst where the handles are written
   * @param n how many to allocate, {@code 0 <= n <= dst.length}
   * @throws AllocationFailedException if not all could be allocated; none are then held by the caller
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code dst.length}
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
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
   * Frees {@code src[0..n)}, as {@link ObjectAllocator#freeBulk}.
   *
   * @param src the handles to free
   * @param n how many, {@code 0 <= n <= src.length}
   * @throws InvalidHandleException as {@link #free}; the handles before the bad one are freed, the bad one
   *     and those after it are not
   * @throws IllegalArgumentException if {@code n} is negative or larger than {@code src.length}
   * @throws IllegalStateException if called from another thread than the owner (where detected), or after
   *     {@link #close()}
   * @throws AllocatorClosedException if the allocator is closed
   */
  default void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    for (int i = 0; i < n; i++) {
      free(src[i]);
    }
  }

  /**
   * Returns the thread that owns this context.
   *
   * @return the owner
   */
  Thread owner();

  /**
   * Ends the context: whatever it caches goes back to the allocator. Objects allocated through it stay
   * allocated. Idempotent on the owner thread.
   *
   * @throws IllegalStateException if called from another thread than the owner
   */
  @Override
  void close();
}
