package io.github.slabkit.allocator;

/**
 * The default {@link ObjectAllocator#local()}: a context with nothing of its own, which checks the owner on
 * every call and delegates to the allocator, the bulk calls included.
 */
final class DelegatingLocalAllocator implements LocalAllocator {
  private final ObjectAllocator allocator;
  private final Thread owner = Thread.currentThread();
  private boolean closed;

  DelegatingLocalAllocator(ObjectAllocator allocator) {
    this.allocator = allocator;
  }

  private void check(String op) {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException(
          allocator.name() + ": " + op + "() on the allocation context of thread '" + owner.getName()
              + "' from thread '" + Thread.currentThread().getName()
              + "'; a context belongs to the thread that created it: call local() on each thread");
    }
    if (closed) {
      throw new IllegalStateException(
          allocator.name() + ": " + op + "() on a closed allocation context; call local() again");
    }
  }

  @Override
  public long tryAllocate() {
    check("tryAllocate");
    return allocator.tryAllocate();
  }

  @Override
  public long allocate() {
    check("allocate");
    return allocator.allocate();
  }

  @Override
  public void free(long handle) {
    check("free");
    allocator.free(handle);
  }

  // The bulk calls are the allocator's own, not the interface's loops of single calls: an allocator's
  // allocateBulk may be all or nothing and wait holding nothing (a mempool's), which a loop of blocking
  // allocate() calls is not.
  @Override
  public boolean tryAllocateBulk(long[] dst, int n) {
    check("tryAllocateBulk");
    return allocator.tryAllocateBulk(dst, n);
  }

  @Override
  public void allocateBulk(long[] dst, int n) {
    check("allocateBulk");
    allocator.allocateBulk(dst, n);
  }

  @Override
  public void freeBulk(long[] src, int n) {
    check("freeBulk");
    allocator.freeBulk(src, n);
  }

  @Override
  public Thread owner() {
    return owner;
  }

  @Override
  public void close() {
    if (Thread.currentThread() != owner) {
      check("close");
    }
    closed = true;
  }
}
