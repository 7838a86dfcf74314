package io.github.slabkit.allocator.contract;

import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * An allocator that forwards every abstract method of {@link ObjectAllocator} to another, for test
 * allocators that change one or two calls (count them, inject a failure, route them through a context).
 * The interface's default methods ({@code stash}, the bulk calls, {@code local()}, ...) are not forwarded:
 * they stay the interface's defaults, built on the forwarded methods, unless a subclass overrides them.
 */
public class ForwardingAllocator implements ObjectAllocator {
  /** The allocator every call goes to. */
  protected final ObjectAllocator inner;

  /**
   * Wraps an allocator.
   *
   * @param inner the allocator the calls go to
   */
  public ForwardingAllocator(ObjectAllocator inner) {
    this.inner = inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public long objectSize() {
    return inner.objectSize();
  }

  @Override
  public long tryAllocate() {
    return inner.tryAllocate();
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    return inner.tryAllocate(timeout, unit);
  }

  @Override
  public long allocate() {
    return inner.allocate();
  }

  @Override
  public void free(long handle) {
    inner.free(handle);
  }

  @Override
  public void checkHandle(long handle) {
    inner.checkHandle(handle);
  }

  @Override
  public MemorySegment memory(long handle) {
    return inner.memory(handle);
  }

  @Override
  public long offset(long handle) {
    return inner.offset(handle);
  }

  @Override
  public AllocatorStatistics statistics() {
    return inner.statistics();
  }

  @Override
  public void close() {
    inner.close();
  }
}
