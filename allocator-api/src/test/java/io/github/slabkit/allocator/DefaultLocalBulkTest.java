package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The default context ({@link ObjectAllocator#local()}) makes the allocator's own bulk calls, not loops of
 * single calls: an allocator's {@code allocateBulk} may be all or nothing and wait holding nothing, which a
 * loop of blocking {@code allocate()} calls is not (a mempool's context that looped deadlocked two threads).
 */
class DefaultLocalBulkTest {

  /** Delegates to a {@link TestAllocator} and counts its own bulk calls. */
  private static final class BulkCounting implements ObjectAllocator {
    final TestAllocator inner = new TestAllocator("bulk-counting", 16, 64, 1);
    int allocateBulks;
    int tryAllocateBulks;
    int freeBulks;

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

    @Override
    public void allocateBulk(long[] dst, int n) {
      allocateBulks++;
      ObjectAllocator.super.allocateBulk(dst, n);
    }

    @Override
    public boolean tryAllocateBulk(long[] dst, int n) {
      tryAllocateBulks++;
      return ObjectAllocator.super.tryAllocateBulk(dst, n);
    }

    @Override
    public void freeBulk(long[] src, int n) {
      freeBulks++;
      ObjectAllocator.super.freeBulk(src, n);
    }
  }

  @Test
  void theDefaultContextMakesTheAllocatorsOwnBulkCalls() {
    BulkCounting a = new BulkCounting();
    long[] hs = new long[4];
    try (LocalAllocator local = a.local()) {
      local.allocateBulk(hs, 4);
      local.freeBulk(hs, 4);
      assertTrue(local.tryAllocateBulk(hs, 3));
      local.freeBulk(hs, 3);
    }
    assertEquals(1, a.allocateBulks, "allocateBulk went to the allocator's allocateBulk");
    assertEquals(1, a.tryAllocateBulks, "tryAllocateBulk went to the allocator's tryAllocateBulk");
    assertEquals(2, a.freeBulks, "freeBulk went to the allocator's freeBulk");
    assertEquals(0, a.inner.live());
    a.close();
  }

  @Test
  void theDefaultContextsBulkCallsCheckTheOwner() throws Exception {
    BulkCounting a = new BulkCounting();
    long[] hs = new long[2];
    try (LocalAllocator local = a.local()) {
      CompletableFuture<Throwable> other = CompletableFuture.supplyAsync(() -> {
        try {
          local.allocateBulk(hs, 2);
          return new AssertionError("another thread's allocateBulk through the context was accepted");
        } catch (IllegalStateException expected) {
          return expected;
        }
      });
      Throwable t = other.get();
      assertTrue(t instanceof IllegalStateException, String.valueOf(t));
      assertTrue(t.getMessage().contains("allocateBulk()"), t.getMessage());
    }
    assertEquals(0, a.allocateBulks);
    assertEquals(0, a.inner.live());
    LocalAllocator closed = a.local();
    closed.close();
    assertThrows(IllegalStateException.class, () -> closed.freeBulk(hs, 0));
    a.close();
  }
}
