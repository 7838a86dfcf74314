package io.github.slabkit.jcstress.mempool;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * A backing allocator of at most 63 memoryless objects (handles 1 to capacity), synchronized, for mempool
 * tests: a jcstress state can afford one each (no off-heap memory, a few dozen bytes of heap), and {@link
 * #live()} counts exactly what the pool holds from it.
 */
public final class CountingAllocator implements ObjectAllocator {
  private final String name;
  private final int capacity;
  private long freeMask;
  private int live;

  /**
   * Creates the allocator with every object free.
   *
   * @param name the name
   * @param capacity objects, 1 to 63
   */
  public CountingAllocator(String name, int capacity) {
    this.name = name;
    this.capacity = capacity;
    this.freeMask = ((1L << capacity) - 1) << 1;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long objectSize() {
    return 8;
  }

  @Override
  public synchronized long tryAllocate() {
    if (freeMask == 0) {
      return NO_HANDLE;
    }
    long h = Long.numberOfTrailingZeros(freeMask);
    freeMask &= ~(1L << h);
    live++;
    return h;
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) {
    return tryAllocate();
  }

  @Override
  public long allocate() {
    long h = tryAllocate();
    if (h == NO_HANDLE) {
      throw new AllocationFailedException(name, 8, 8L * capacity, 8L * capacity, "all objects are in use");
    }
    return h;
  }

  @Override
  public synchronized void free(long handle) {
    checkHandle(handle);
    if ((freeMask & 1L << handle) != 0) {
      throw new InvalidHandleException(name, handle, "was freed twice");
    }
    freeMask |= 1L << handle;
    live--;
  }

  @Override
  public void checkHandle(long handle) {
    if (handle < 1 || handle > capacity) {
      throw new InvalidHandleException(name, handle, "is not a handle of this allocator");
    }
  }

  /**
   * Returns how many objects are allocated.
   *
   * @return the live count
   */
  public synchronized int live() {
    return live;
  }

  @Override
  public MemorySegment memory(long handle) {
    throw new UnsupportedOperationException(name + " has no memory");
  }

  @Override
  public long offset(long handle) {
    return 0;
  }

  @Override
  public synchronized AllocatorStatistics statistics() {
    return new AllocatorStatistics(name, 8, live, 0, capacity, 0, 0, 0, 0);
  }

  @Override
  public void close() {}
}
