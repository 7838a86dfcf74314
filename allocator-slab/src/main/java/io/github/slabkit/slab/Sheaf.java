package io.github.slabkit.slab;

import io.github.slabkit.allocator.AllocatorClosedException;

/**
 * Objects preallocated by {@link SlabCache#prefill(int)}: exactly {@code n} allocations from it are guaranteed
 * not to fail, like the kernel's {@code kmem_cache_prefill_sheaf}. Use it to make an operation that needs up
 * to {@code n} objects impossible to fail halfway; {@link #close()} returns what was not used.
 *
 * <p>Not thread safe: use a sheaf from one thread at a time (hand it over with a happens-before edge).
 */
public final class Sheaf implements AutoCloseable {
  private final SlabCache cache;
  private final long[] handles;
  private int remaining;
  private boolean closed;

  Sheaf(SlabCache cache, long[] handles) {
    this.cache = cache;
    this.handles = handles;
    this.remaining = handles.length;
  }

  /**
   * Takes one of the preallocated objects; never blocks, never fails while {@link #remaining()} is positive.
   *
   * @return a handle of the cache the sheaf came from
   * @throws IllegalStateException if the sheaf is empty (over-drawn) or closed
   */
  public long allocate() {
    if (closed) {
      throw new AllocatorClosedException("sheaf of " + cache.name(), "allocate");
    }
    if (remaining == 0) {
      throw new IllegalStateException(
          cache.name()
              + ": sheaf over-drawn: all "
              + handles.length
              + " preallocated objects were taken; prefill a larger sheaf for this operation");
    }
    return handles[--remaining];
  }

  /**
   * Returns how many allocations are still guaranteed.
   *
   * @return the objects left
   */
  public int remaining() {
    return remaining;
  }

  /**
   * Returns how many objects the sheaf was prefilled with.
   *
   * @return the capacity
   */
  public int capacity() {
    return handles.length;
  }

  /** Returns the objects not taken to the cache. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      cache.freeBulk(handles, remaining);
      remaining = 0;
    }
  }
}
