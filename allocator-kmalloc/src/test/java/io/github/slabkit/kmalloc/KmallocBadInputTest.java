package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every kind of bad input gets a clear exception, and the allocator is unchanged afterwards. */
class KmallocBadInputTest {

  private static void assertMessage(Class<? extends Throwable> type, Executable call, String... parts) {
    Throwable t = assertThrows(type, call);
    for (String p : parts) {
      assertTrue(t.getMessage().contains(p), "message lacks '" + p + "': " + t.getMessage());
    }
  }

  @Test
  void zeroNegativeAndTooLargeSizesAreRejectedInEveryMode() {
    try (Kmalloc k = Kmalloc.builder().name("bad").maxRequestSize(1 << 20).throwOnLeak(true).build()) {
      for (long size : new long[] {0, -1, Long.MIN_VALUE}) {
        assertMessage(IllegalArgumentException.class, () -> k.allocate(size), "bad", "at least 1 B");
        assertMessage(IllegalArgumentException.class, () -> k.tryAllocate(size), "at least 1 B");
        assertMessage(
            IllegalArgumentException.class, () -> k.tryAllocate(size, 1, TimeUnit.MILLISECONDS), "at least 1 B");
        assertMessage(IllegalArgumentException.class, () -> k.allocate(size, 8), "at least 1 B");
        assertMessage(IllegalArgumentException.class, () -> k.allocateBulk(new long[2], 2, size), "at least 1 B");
        assertMessage(IllegalArgumentException.class, () -> k.sizeClass(size), "at least 1 B");
        assertMessage(IllegalArgumentException.class, () -> k.usableSizeFor(size), "at least 1 B");
      }
      long tooBig = (1 << 20) + 1;
      assertMessage(IllegalArgumentException.class, () -> k.allocate(tooBig), "above the limit", "maxRequestSize");
      assertMessage(IllegalArgumentException.class, () -> k.tryAllocate(tooBig), "above the limit");
      assertMessage(IllegalArgumentException.class, () -> k.tryAllocateBulk(new long[1], 1, tooBig), "above");
      long h = k.allocate(10);
      assertMessage(IllegalArgumentException.class, () -> k.reallocate(h, 0), "at least 1 B");
      assertMessage(IllegalArgumentException.class, () -> k.reallocate(h, tooBig), "above the limit");
      assertEquals(16, k.usableSize(h), "a refused reallocation leaves the object as it was");
      assertMessage(IllegalArgumentException.class, () -> k.sizeClass(10_000), "no size class holds");
      k.free(h);
      assertEquals(0, k.statistics().liveObjects());
    }
  }

  @Test
  void badAlignmentsAreRejected() {
    try (Kmalloc k = Kmalloc.builder().name("bad").build()) {
      for (long a : new long[] {0, -8, 3, 24}) {
        assertMessage(IllegalArgumentException.class, () -> k.allocate(64, a), "power of two", "" + a);
      }
      long h = k.allocate(8);
      assertThrows(IllegalArgumentException.class, () -> k.reallocate(h, 8, 12));
      k.free(h);
    }
  }

  @Test
  void badBulkCountsAreRejected() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      long[] dst = new long[4];
      assertThrows(IllegalArgumentException.class, () -> k.allocateBulk(dst, -1, 8));
      assertThrows(IllegalArgumentException.class, () -> k.tryAllocateBulk(dst, 5, 8));
      assertThrows(IllegalArgumentException.class, () -> k.freeBulk(dst, 5));
      assertEquals(0, k.statistics().liveObjects());
    }
  }

  @Test
  void nullForeignForgedAndDoubleFreedHandlesAreRefusedAndChangeNothing() {
    try (Kmalloc k = Kmalloc.builder().name("mine").build();
        Kmalloc other = Kmalloc.builder().name("theirs").build()) {
      long mine = k.allocate(64);
      long foreign = other.allocate(64);
      assertMessage(InvalidHandleException.class, () -> k.free(0), "mine", "null handle");
      assertMessage(InvalidHandleException.class, () -> k.free(foreign), "mine", "refused by its class cache");
      assertMessage(InvalidHandleException.class, () -> k.checkHandle(foreign), "mine");
      assertMessage(InvalidHandleException.class, () -> k.free(12345), "mine", "kind field 0");
      assertMessage(InvalidHandleException.class, () -> k.free(50L << 58 | 7), "kind field 50");
      assertMessage(InvalidHandleException.class, () -> k.free(63L << 58 | 99), "no live large allocation");
      assertMessage(InvalidHandleException.class, () -> k.usableSize(foreign), "mine");
      assertMessage(InvalidHandleException.class, () -> k.segment(foreign), "mine");
      long h = k.allocate(64);
      k.free(h);
      assertMessage(InvalidHandleException.class, () -> k.free(h), "mine", "freed twice");
      assertEquals(1, k.statistics().liveObjects());
      assertEquals(1, other.statistics().liveObjects());
      long a = k.allocate(64);
      long b = k.allocate(64);
      assertTrue(a != b, "a refused double free must not put the object in the cache twice");
      k.free(a);
      k.free(b);
      k.free(mine);
      other.free(foreign);
    }
  }

  @Test
  void sizeClassViewsRefuseHandlesOfOtherClasses() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      var view = k.sizeClass(64);
      long h128 = k.allocate(100);
      assertMessage(InvalidHandleException.class, () -> view.free(h128), "kmalloc-64", "not an object of this size class");
      long v = view.allocate();
      k.free(v); // a view's handles are the allocator's own
      k.free(h128);
    }
  }

  /** A view's stash marks the object free in its class's cache: freeing or stashing it again is refused. */
  @Test
  void aStashedObjectOfAViewCannotBeFreedUntilUnstashed() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      var view = k.sizeClass(64);
      long h = view.allocate();
      view.stash(h);
      assertMessage(InvalidHandleException.class, () -> view.free(h), "double free");
      assertMessage(InvalidHandleException.class, () -> view.stash(h), "double free");
      long other = k.allocate(100);
      assertMessage(InvalidHandleException.class, () -> view.stash(other), "not an object of this size class");
      view.unstash(h);
      view.free(h);
      k.free(other);
    }
  }

  @Test
  void useAfterCloseIsRejected() {
    Kmalloc k = Kmalloc.builder().name("closing").build();
    long h = k.allocate(32);
    k.free(h);
    k.close();
    assertThrows(AllocatorClosedException.class, () -> k.allocate(32));
    assertThrows(AllocatorClosedException.class, () -> k.tryAllocate(32));
    assertThrows(AllocatorClosedException.class, () -> k.allocate(100_000));
    assertThrows(AllocatorClosedException.class, () -> k.free(h));
    assertThrows(AllocatorClosedException.class, () -> k.free(63L << 58));
    assertThrows(AllocatorClosedException.class, k::newArena);
    k.close(); // idempotent
  }

  @Test
  void leaksAtCloseAreReportedAndTheirMemoryKept() {
    MemoryBudget budget = MemoryBudget.unlimited("leak");
    Kmalloc k = Kmalloc.builder().budget(budget).throwOnLeak(true).build();
    k.allocate(64);
    k.allocate(50_000);
    IllegalStateException e = assertThrows(IllegalStateException.class, k::close);
    assertTrue(e.getMessage().contains("kmalloc-64"), e.getMessage());
    assertTrue(e.getMessage().contains("1 large allocations still live"), e.getMessage());
    assertTrue(budget.used() >= 53_248, "leaked memory stays charged, never silently freed");
  }

  @Test
  void badBuilderOptionsAreRejected() {
    assertMessage(IllegalArgumentException.class, () -> Kmalloc.builder().maxClassSize(100).build(), "power of two");
    assertMessage(IllegalArgumentException.class, () -> Kmalloc.builder().maxClassSize(128).build(), "256 B");
    assertMessage(
        IllegalArgumentException.class,
        () -> Kmalloc.builder().maxClassSize(8192).maxRequestSize(4096).build(),
        "below the largest class");
    assertMessage(IllegalArgumentException.class, () -> Kmalloc.builder().requestSampling(3), "power of two");
    assertMessage(
        IllegalArgumentException.class,
        () -> Kmalloc.builder().debug(100, io.github.slabkit.slab.SlabDebug.of("F")).build(),
        "class size 100");
    assertMessage(
        IllegalArgumentException.class,
        () -> Kmalloc.builder().budget(MemoryBudget.ofBytes("tiny", 16 * 1024)).build(),
        "larger than the budget");
  }

  /**
   * An alignment the operating system cannot give (the JDK asks for size + alignment bytes) fails as a lack of
   * memory does: AllocationFailedException naming what was refused, with the JDK's error as its cause, the
   * budget credited back and nothing live. It used to escape as an OutOfMemoryError, which callers do not
   * catch (it ended JUnit's fork when thrown inside assertThrows).
   */
  @Test
  void anAlignmentTheSystemCannotGiveFailsAsALackOfMemory() {
    MemoryBudget budget = MemoryBudget.ofBytes("align", 64L << 20);
    try (Kmalloc k = Kmalloc.builder().name("align").budget(budget).maxRequestSize(1 << 20).build()) {
      long used = budget.used();
      long huge = 1L << 62;
      AllocationFailedException e = assertThrows(AllocationFailedException.class, () -> k.allocate(1 << 20, huge));
      assertTrue(e.getMessage().contains("align") && e.getMessage().contains("refused"), e.getMessage());
      assertTrue(e.getCause() instanceof OutOfMemoryError || e.getCause() instanceof IllegalArgumentException,
          "the JDK's refusal is the cause: " + e.getCause());
      assertEquals(used, budget.used(), "the budget is credited back");
      assertEquals(0, k.statistics().liveObjects());
      assertEquals(1, k.statistics().largeFailures(), "counted as a failed large allocation");

      // reallocate's move fails the same way, and the old object is still valid
      long h = k.allocate(100);
      assertThrows(AllocationFailedException.class, () -> k.reallocate(h, 1 << 20, huge));
      k.memory(h).set(java.lang.foreign.ValueLayout.JAVA_BYTE, k.offset(h), (byte) 1);
      k.free(h);
      assertEquals(0, k.statistics().largeLive(), "no large object is left by the failed move");

      // the allocator still works for large objects
      long big = k.allocate(1 << 20, 1 << 16);
      assertEquals(0, (k.memory(big).address() + k.offset(big)) & ((1 << 16) - 1), "aligned to 64 KiB");
      k.free(big);
      assertEquals(0, k.statistics().liveObjects());
    }
  }
}
