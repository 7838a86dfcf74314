package io.github.slabkit.allocator.contract;

import io.github.slabkit.allocator.LocalAllocator;
import io.github.slabkit.allocator.ObjectAllocator;

/**
 * An allocator whose {@code tryAllocate}, {@code allocate} and {@code free} go through the calling thread's
 * {@link ObjectAllocator#local()} context (one per thread, taken on first use), so that the contract suite
 * runs through contexts: {@code new ThroughLocal(SlabCache.builder(...).build())}.
 */
public final class ThroughLocal extends ForwardingAllocator {
  private final ThreadLocal<LocalAllocator> context;

  /**
   * Wraps an allocator.
   *
   * @param inner the allocator whose contexts are used
   */
  public ThroughLocal(ObjectAllocator inner) {
    super(inner);
    this.context = ThreadLocal.withInitial(inner::local);
  }

  @Override
  public long tryAllocate() {
    return context.get().tryAllocate();
  }

  @Override
  public long allocate() {
    return context.get().allocate();
  }

  @Override
  public void free(long handle) {
    context.get().free(handle);
  }
}
