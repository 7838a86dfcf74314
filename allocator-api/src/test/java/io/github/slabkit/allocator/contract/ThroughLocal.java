package io.github.slabkit.allocator.contract;

import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.LocalAllocator;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * An allocator whose {@code tryAllocate}, {@code allocate} and {@code free} go through the calling thread's
 * {@link ObjectAllocator#local()} context (one per thread, taken on first use), so that the contract suite
 * runs through contexts: {@code new ThroughLocal(SlabCache.builder(...).build())}.
 */
public final class ThroughLocal implements ObjectAllocator {
  private final ObjectAllocator inner;
  private final ThreadLocal<LocalAllocator> context;

  /**
   * Wraps an allocator.
   *
   * @param inner the allocator whose contexts are used
   */
  public ThroughLocal(ObjectAllocator inner) {
    this.inner = inner;
    this.context = ThreadLocal.withInitial(inner::local);
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
    return context.get().tryAllocate();
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    return inner.tryAllocate(timeout, unit);
  }

  @Override
  public long allocate() {
    return context.get().allocate();
  }

  @Override
  public void free(long handle) {
    context.get().free(handle);
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
