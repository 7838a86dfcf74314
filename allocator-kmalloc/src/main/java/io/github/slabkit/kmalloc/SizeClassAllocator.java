package io.github.slabkit.kmalloc;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * One size class of a {@link Kmalloc} as a fixed-size {@link ObjectAllocator} (see {@link
 * Kmalloc#sizeClass(long)}): allocations ask the allocator for {@code requestSize} bytes, so the requested-bytes
 * statistics stay right, and handles are the allocator's own.
 */
final class SizeClassAllocator implements ObjectAllocator {
  private final Kmalloc kmalloc;
  private final SlabCache cache;
  private final int classIndex;
  private final long requestSize;
  private volatile boolean closed;

  SizeClassAllocator(Kmalloc kmalloc, SlabCache cache, int classIndex, long requestSize) {
    this.kmalloc = kmalloc;
    this.cache = cache;
    this.classIndex = classIndex;
    this.requestSize = requestSize;
  }

  @Override
  public String name() {
    return cache.name();
  }

  /** The class size: every object can hold this many bytes. */
  @Override
  public long objectSize() {
    return cache.objectSize();
  }

  @Override
  public long tryAllocate() {
    checkOpen("tryAllocate");
    return kmalloc.tryAllocate(requestSize);
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    checkOpen("tryAllocate");
    return kmalloc.tryAllocate(requestSize, timeout, unit);
  }

  @Override
  public long allocate() {
    checkOpen("allocate");
    return kmalloc.allocate(requestSize);
  }

  @Override
  public boolean tryAllocateBulk(long[] dst, int n) {
    checkOpen("tryAllocateBulk");
    return kmalloc.tryAllocateBulk(dst, n, requestSize);
  }

  @Override
  public void allocateBulk(long[] dst, int n) {
    checkOpen("allocateBulk");
    kmalloc.allocateBulk(dst, n, requestSize);
  }

  @Override
  public void free(long handle) {
    checkOpen("free");
    checkHandle(handle);
    kmalloc.free(handle);
  }

  /** A small class's object is stashed in its slab cache (double-free detection); see {@link ObjectAllocator#stash}. */
  @Override
  public void stash(long handle) {
    checkOpen("stash");
    checkHandle(handle);
    kmalloc.stash(handle);
  }

  @Override
  public void unstash(long handle) {
    kmalloc.unstash(handle);
  }

  @Override
  public void freeBulk(long[] src, int n) {
    Allocators.checkBulk(src, n);
    for (int i = 0; i < n; i++) {
      free(src[i]);
    }
  }

  @Override
  public void checkHandle(long handle) {
    if (handle == NO_HANDLE) {
      throw new InvalidHandleException(name(), handle, "is the null handle (0); there is nothing to free");
    }
    if (kmalloc.classOfHandle(handle) != classIndex) {
      throw new InvalidHandleException(
          name(), handle, "is not an object of this size class; free it where it was allocated");
    }
    try {
      kmalloc.checkHandle(handle);
    } catch (InvalidHandleException e) {
      throw new InvalidHandleException(name(), handle, "was refused: " + e.getMessage());
    }
  }

  @Override
  public MemorySegment memory(long handle) {
    return kmalloc.memory(handle);
  }

  @Override
  public long offset(long handle) {
    return kmalloc.offset(handle);
  }

  @Override
  public MemorySegment segment(long handle) {
    checkHandle(handle);
    return kmalloc.segment(handle);
  }

  /** The class cache's counters: they include objects of this class allocated through the allocator itself. */
  @Override
  public AllocatorStatistics statistics() {
    AllocatorStatistics s = cache.statistics();
    return new AllocatorStatistics(
        name(), s.objectSize(), s.liveObjects(), s.cachedObjects(), s.totalObjects(), s.allocations(),
        s.frees(), s.failures(), s.bytesCharged());
  }

  /** Closes this view only; the class and the allocator stay open. Idempotent. */
  @Override
  public void close() {
    closed = true;
  }

  private void checkOpen(String op) {
    if (closed) {
      throw new AllocatorClosedException(name() + " (size-class view)", op);
    }
  }

  @Override
  public String toString() {
    return "SizeClassAllocator[" + name() + ", requests of " + requestSize + " B]";
  }
}
