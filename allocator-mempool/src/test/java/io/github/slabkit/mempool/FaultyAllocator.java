package io.github.slabkit.mempool;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link TestAllocator} whose allocation or free throws on demand: after a number of successful calls, or
 * always. For the exception-safety promises: nothing taken is lost when a backing allocator throws.
 */
final class FaultyAllocator extends ForwardingAllocator {
  /** The allocator behind, for the tests' own checks ({@code live()}, {@code failAlways}). */
  final TestAllocator test;
  private volatile int allocationsBeforeThrow = Integer.MAX_VALUE;
  private volatile int freesBeforeThrow = Integer.MAX_VALUE;
  private volatile boolean freeThrowsOnce;
  private volatile Supplier<? extends RuntimeException> fault = () -> new IllegalStateException("injected");

  FaultyAllocator(String name, int capacity) {
    this(new TestAllocator(name, 32, capacity, name.hashCode()));
  }

  private FaultyAllocator(TestAllocator test) {
    super(test);
    this.test = test;
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
    return test.live();
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
}
