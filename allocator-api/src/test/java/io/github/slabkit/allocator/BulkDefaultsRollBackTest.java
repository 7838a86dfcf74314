package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import org.junit.jupiter.api.Test;

/**
 * The bulk defaults of {@link ObjectAllocator} and {@link LocalAllocator} are all or nothing also when the
 * single call they loop over throws part-way: what they took is freed before the exception reaches the
 * caller. A mempool, which inherits them, lost the objects taken before its backing allocator threw.
 */
class BulkDefaultsRollBackTest {

  /** Throws from its single allocations once {@code left} of them have succeeded. */
  private static final class ThrowsAfter extends ForwardingAllocator {
    final TestAllocator test;
    int left;
    Throwable failure = new IllegalStateException("refused on purpose");
    int freesToRefuse;

    ThrowsAfter(int left) {
      this(new TestAllocator("throws-after", 16, 64, 7), left);
    }

    private ThrowsAfter(TestAllocator test, int left) {
      super(test);
      this.test = test;
      this.left = left;
    }

    private void maybeThrow() {
      if (left-- == 0) {
        if (failure instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) failure;
      }
    }

    @Override
    public long tryAllocate() {
      maybeThrow();
      return super.tryAllocate();
    }

    @Override
    public long allocate() {
      maybeThrow();
      return super.allocate();
    }

    @Override
    public void free(long handle) {
      if (freesToRefuse > 0) {
        freesToRefuse--;
        throw new IllegalStateException("free refused on purpose");
      }
      super.free(handle);
    }
  }

  /** A context that keeps every default of {@link LocalAllocator}, over {@code a}'s single calls. */
  private static LocalAllocator plainContext(ObjectAllocator a) {
    Thread owner = Thread.currentThread();
    return new LocalAllocator() {
      @Override
      public long tryAllocate() {
        return a.tryAllocate();
      }

      @Override
      public long allocate() {
        return a.allocate();
      }

      @Override
      public void free(long handle) {
        a.free(handle);
      }

      @Override
      public Thread owner() {
        return owner;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void tryAllocateBulkFreesWhatItTookWhenASingleAllocationThrows() {
    ThrowsAfter a = new ThrowsAfter(3);
    long[] dst = new long[8];
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.tryAllocateBulk(dst, 8));
    assertEquals("refused on purpose", e.getMessage());
    assertEquals(0, a.test.live(), "the three objects taken before the throw were freed");
    a.left = Integer.MAX_VALUE;
    assertEquals(true, a.tryAllocateBulk(dst, 8), "the allocator is usable afterwards");
    a.freeBulk(dst, 8);
    assertEquals(0, a.test.live());
  }

  @Test
  void allocateBulkFreesWhatItTookWhenAnErrorIsThrown() {
    ThrowsAfter a = new ThrowsAfter(2);
    OutOfMemoryError oom = new OutOfMemoryError("simulated");
    a.failure = oom;
    long[] dst = new long[4];
    assertSame(oom, assertThrows(OutOfMemoryError.class, () -> a.allocateBulk(dst, 4)));
    assertEquals(0, a.test.live(), "an Error is rolled back as an exception is");
  }

  @Test
  void aRollBackThatFailsIsAttachedToTheOriginalException() {
    ThrowsAfter a = new ThrowsAfter(2);
    a.freesToRefuse = 1;
    long[] dst = new long[4];
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.tryAllocateBulk(dst, 4));
    assertEquals("refused on purpose", e.getMessage(), "the caller sees the allocation's exception");
    assertEquals(1, e.getSuppressed().length, "and the roll-back's failure attached to it");
    assertEquals("free refused on purpose", e.getSuppressed()[0].getMessage());
  }

  @Test
  void aContextsBulkDefaultsRollBackToo() {
    ThrowsAfter a = new ThrowsAfter(3);
    long[] dst = new long[8];
    try (LocalAllocator local = plainContext(a)) {
      assertThrows(IllegalStateException.class, () -> local.tryAllocateBulk(dst, 8));
      assertEquals(0, a.test.live(), "tryAllocateBulk: the three objects taken were freed");
      a.left = 2;
      assertThrows(IllegalStateException.class, () -> local.allocateBulk(dst, 8));
      assertEquals(0, a.test.live(), "allocateBulk: the two objects taken were freed");
    }
  }
}
