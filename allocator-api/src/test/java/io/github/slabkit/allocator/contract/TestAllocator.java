package io.github.slabkit.allocator.contract;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A simple, lock-based {@link ObjectAllocator} for tests: a fixed number of objects in one off-heap segment,
 * exact double-free detection, and fault injection ({@link #failAlways}, {@link #failWithProbability}) so that
 * allocators built on top of it (a mempool) can be tested when "the normal allocation fails".
 *
 * <p>Thread safe (every method is {@code synchronized}).
 */
public final class TestAllocator implements ObjectAllocator {
  private static final AtomicInteger IDS = new AtomicInteger();

  private final String name;
  private final long objectSize;
  private final int capacity;
  private final long tag;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment memory;
  private final BitSet used = new BitSet();
  private final SplittableRandom random;
  private double failureRate;
  private boolean closed;
  private long allocations;
  private long frees;
  private long failures;
  private long injectedFailures;

  /**
   * Creates a test allocator.
   *
   * @param name the name
   * @param objectSize bytes per object
   * @param capacity how many objects fit
   * @param seed the seed of the fault injector
   */
  public TestAllocator(String name, long objectSize, int capacity, long seed) {
    this.name = name;
    this.objectSize = objectSize;
    this.capacity = capacity;
    this.tag = (long) (IDS.incrementAndGet() & 0xffff) << 40;
    this.memory = arena.allocate(objectSize * capacity, 8);
    this.random = new SplittableRandom(seed);
  }

  /**
   * Makes every allocation fail (or succeed again).
   *
   * @param fail whether to fail
   */
  public synchronized void failAlways(boolean fail) {
    this.failureRate = fail ? 1.0 : 0.0;
  }

  /**
   * Makes allocations fail at random with probability {@code p}.
   *
   * @param p probability in [0, 1]
   */
  public synchronized void failWithProbability(double p) {
    this.failureRate = p;
  }

  /**
   * Returns the number of allocations refused by fault injection.
   *
   * @return the count
   */
  public synchronized long injectedFailures() {
    return injectedFailures;
  }

  /**
   * Returns the number of objects currently allocated.
   *
   * @return the count
   */
  public synchronized int live() {
    return used.cardinality();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long objectSize() {
    return objectSize;
  }

  @Override
  public synchronized long tryAllocate() {
    checkOpen("tryAllocate");
    if (failureRate > 0 && random.nextDouble() < failureRate) {
      injectedFailures++;
      failures++;
      return NO_HANDLE;
    }
    int slot = used.nextClearBit(0);
    if (slot >= capacity) {
      failures++;
      return NO_HANDLE;
    }
    used.set(slot);
    allocations++;
    return tag | (slot + 1L);
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) {
    return tryAllocate();
  }

  @Override
  public long allocate() {
    long h = tryAllocate();
    if (h == NO_HANDLE) {
      throw new AllocationFailedException(
          name, objectSize, capacity * objectSize, live() * objectSize, name + ": test allocator refused");
    }
    return h;
  }

  @Override
  public synchronized void free(long handle) {
    checkOpen("free");
    int slot = slot(handle);
    if (!used.get(slot)) {
      throw new InvalidHandleException(name, handle, "is already free (double free)");
    }
    used.clear(slot);
    frees++;
  }

  @Override
  public void checkHandle(long handle) {
    slot(handle);
  }

  private int slot(long handle) {
    if (handle == NO_HANDLE) {
      throw new InvalidHandleException(name, handle, "is the null handle; nothing to free");
    }
    if ((handle & ~0xff_ffff_ffffL) != tag || (handle & 0xff_ffff_ffffL) > capacity) {
      throw new InvalidHandleException(name, handle, "was not allocated by this allocator");
    }
    return (int) (handle & 0xff_ffff_ffffL) - 1;
  }

  @Override
  public MemorySegment memory(long handle) {
    return memory;
  }

  @Override
  public long offset(long handle) {
    return slot(handle) * objectSize;
  }

  @Override
  public synchronized AllocatorStatistics statistics() {
    return new AllocatorStatistics(
        name, objectSize, used.cardinality(), 0, capacity, allocations, frees, failures, capacity * objectSize);
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }

  private void checkOpen(String op) {
    if (closed) {
      throw new AllocatorClosedException(name, op);
    }
  }
}
