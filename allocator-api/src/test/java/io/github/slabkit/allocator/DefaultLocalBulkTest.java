package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The default context ({@link ObjectAllocator#local()}) makes the allocator's own bulk calls, not loops of
 * single calls: an allocator's {@code allocateBulk} may be all or nothing and wait holding nothing, which a
 * loop of blocking {@code allocate()} calls is not (a mempool's context that looped deadlocked two threads).
 */
class DefaultLocalBulkTest {

  /** Forwards to a {@link TestAllocator} and counts its own bulk calls. */
  private static final class BulkCounting extends ForwardingAllocator {
    final TestAllocator test;
    int allocateBulks;
    int tryAllocateBulks;
    int freeBulks;

    BulkCounting() {
      this(new TestAllocator("bulk-counting", 16, 64, 1));
    }

    private BulkCounting(TestAllocator test) {
      super(test);
      this.test = test;
    }

    @Override
    public void allocateBulk(long[] dst, int n) {
      allocateBulks++;
      super.allocateBulk(dst, n);
    }

    @Override
    public boolean tryAllocateBulk(long[] dst, int n) {
      tryAllocateBulks++;
      return super.tryAllocateBulk(dst, n);
    }

    @Override
    public void freeBulk(long[] src, int n) {
      freeBulks++;
      super.freeBulk(src, n);
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
    assertEquals(0, a.test.live());
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
    assertEquals(0, a.test.live());
    LocalAllocator closed = a.local();
    closed.close();
    assertThrows(IllegalStateException.class, () -> closed.freeBulk(hs, 0));
    a.close();
  }
}
