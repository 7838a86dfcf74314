package io.github.slabkit.mempool;

import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link TestAllocator} whose allocation or free throws on demand: after a number of successful calls, or
 * always. For the exception-safety promises: nothing taken is lost when a backing allocator throws.
 */
final class FaultyAllocator implements ObjectAllocator {
  final TestAllocator inner;
  private volatile int allocationsBeforeThrow = Integer.MAX_VALUE;
  private volatile int freesBeforeThrow = Integer.MAX_VALUE;
  private volatile boolean freeThrowsOnce;
  private volatile Supplier<? extends RuntimeException> fault = () -> new IllegalStateException("injected");

  FaultyAllocator(String name, int capacity) {
    this.inner = new TestAllocator(name, 32, capacity, name.hashCode());
  }

  /** The next {@code n} allocation calls succeed as usual, then every one throws. */
  synchronized void throwOnAllocateAfter(int n) {
    allocationsBeforeThrow = n;
  }

  /** The next {@code n} frees succeed, then every one throws (and frees nothing). */
  synchronized void throwOnFreeAfter(int n) {
    freesBeforeThrow = n;
  }

  /** The next {@code n} frees succeed, the one after throws (and frees nothing), and later ones succeed. */
  synchronized void throwOnceOnFreeAfter(int n) {
    freesBeforeThrow = n;
    freeThrowsOnce = true;
  }

  void fault(Supplier<? extends RuntimeException> f) {
    this.fault = f;
  }

  synchronized void heal() {
    allocationsBeforeThrow = Integer.MAX_VALUE;
    freesBeforeThrow = Integer.MAX_VALUE;
  }

  private synchronized void maybeThrowOnAllocate() {
    if (allocationsBeforeThrow == 0) {
      throw fault.get();
    }
    if (allocationsBeforeThrow != Integer.MAX_VALUE) {
      allocationsBeforeThrow--;
    }
  }

  private synchronized void maybeThrowOnFree() {
    if (freesBeforeThrow == 0) {
      if (freeThrowsOnce) {
        freesBeforeThrow = Integer.MAX_VALUE;
        freeThrowsOnce = false;
      }
      throw fault.get();
    }
    if (freesBeforeThrow != Integer.MAX_VALUE) {
      freesBeforeThrow--;
    }
  }

  int live() {
    return inner.live();
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
    maybeThrowOnAllocate();
    return inner.tryAllocate();
  }

  @Override
  public long tryAllocate(long timeout, TimeUnit unit) {
    return tryAllocate();
  }

  @Override
  public long allocate() {
    maybeThrowOnAllocate();
    return inner.allocate();
  }

  @Override
  public void free(long handle) {
    maybeThrowOnFree();
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
