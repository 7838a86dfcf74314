package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Each kind of bad input gets a clear exception and leaves the cache intact. */
class SlabBadInputTest {

  private static SlabCache small(String name) {
    return SlabCache.builder(name).objectSize(24).objectsPerSlab(8).magazineSize(4).build();
  }

  @Test
  void freeOfZeroNamesTheCache() {
    try (SlabCache c = small("zeroes")) {
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(0));
      assertTrue(e.getMessage().contains("zeroes") && e.getMessage().contains("null handle"));
    }
  }

  @Test
  void handleOfAnotherCacheIsRefusedAndNothingChanges() {
    try (SlabCache a = small("a");
        SlabCache b = small("b")) {
      long hb = b.allocate();
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> a.free(hb));
      assertTrue(e.getMessage().contains("another allocator"), e.getMessage());
      assertEquals(0, a.slabStatistics().allocations());
      assertEquals(1, b.slabStatistics().activeObjects());
      b.free(hb);
    }
  }

  @Test
  void forgedHandlesAreRefused() {
    try (SlabCache a = small("forged")) {
      long h = a.allocate();
      long badSlot = h | 0xff_ffffL; // slot beyond objectsPerSlab
      long badSlab = h + (1000L << 24); // a slab index never allocated
      assertThrows(InvalidHandleException.class, () -> a.free(badSlot));
      assertThrows(InvalidHandleException.class, () -> a.free(badSlab));
      assertThrows(InvalidHandleException.class, () -> a.segment(badSlab));
      a.free(h);
      assertEquals(0, a.slabStatistics().activeObjects());
    }
  }

  /** memory(h) checks the tag: 0 and another cache's handle throw instead of resolving to a slab of ours. */
  @Test
  void memoryOfZeroOrAForeignHandleThrows() {
    try (SlabCache a = small("mem-a");
        SlabCache b = small("mem-b")) {
      long ha = a.allocate(); // slab 0 of a exists: an unchecked lookup would resolve 0 and b's handle to it
      long hb = b.allocate();
      InvalidHandleException zero = assertThrows(InvalidHandleException.class, () -> a.memory(0));
      assertTrue(zero.getMessage().contains("mem-a") && zero.getMessage().contains("null handle"),
          zero.getMessage());
      InvalidHandleException foreign = assertThrows(InvalidHandleException.class, () -> a.memory(hb));
      assertTrue(foreign.getMessage().contains("another allocator"), foreign.getMessage());
      assertEquals(a.memory(ha).address(), a.memory(ha).address()); // a live handle of ours still resolves
      a.free(ha);
      b.free(hb);
    }
  }

  @Test
  void doubleFreeInARowIsRefused() {
    try (SlabCache c = small("df")) {
      long h = c.allocate();
      c.free(h);
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(h));
      assertTrue(e.getMessage().contains("double free"), e.getMessage());
      long x = c.allocate();
      long y = c.allocate();
      assertNotEquals(x, y, "the refused double free must not have put the object in twice");
      c.free(x);
      c.free(y);
    }
  }

  @Test
  void doubleFreeOfAnObjectInTheDepotIsRefusedAndCounted() {
    try (SlabCache c =
        SlabCache.builder("df2").objectSize(24).objectsPerSlab(8).magazineSize(1).build()) {
      long a = c.allocate();
      long b = c.allocate();
      long d = c.allocate();
      c.free(a);
      c.free(b);
      c.free(d); // a's magazine went to the depot
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(a));
      assertTrue(e.getMessage().contains("double free"), e.getMessage());
      c.shrink();
      assertEquals(1, c.slabStatistics().doubleFrees());
      assertEquals(0, c.slabStatistics().activeObjects());
      assertEquals(0, c.slabStatistics().totalSlabs(), "the cache stays consistent and shrinks fully");
    }
  }

  @Test
  void useAfterCloseIsRefused() {
    SlabCache c = small("closed");
    long h = c.allocate();
    c.free(h);
    c.close();
    assertThrows(AllocatorClosedException.class, c::allocate);
    assertThrows(AllocatorClosedException.class, c::tryAllocate);
    assertThrows(AllocatorClosedException.class, () -> c.free(h));
    assertThrows(AllocatorClosedException.class, () -> c.prefill(1));
    assertEquals(0, c.shrink());
    c.close();
  }

  @Test
  void leakAtCloseIsReportedAndCanThrow() {
    SlabCache quiet = small("leaky");
    quiet.allocate();
    quiet.close();
    assertEquals(1, quiet.leakedObjects());
    SlabCache strict =
        SlabCache.builder("strict").objectSize(8).objectsPerSlab(4).throwOnLeak(true).build();
    strict.allocate();
    strict.allocate();
    IllegalStateException e = assertThrows(IllegalStateException.class, strict::close);
    assertTrue(e.getMessage().startsWith("BUG strict: 2 objects"), e.getMessage());
  }

  @Test
  void badSizesAreRejectedWithTheirName() {
    assertMessage("object size must be positive", () -> SlabCache.builder("x").objectSize(0).build());
    assertMessage("object size must be positive", () -> SlabCache.builder("x").objectSize(-8).build());
    assertMessage("Arena", () -> SlabCache.builder("x").objectSize(1L << 40).build());
    assertMessage("objectSize(bytes)", () -> SlabCache.builder("x").build());
    assertMessage("power of two", () -> SlabCache.builder("x").objectSize(8).alignment(3).build());
    assertMessage("smaller than one object", () -> SlabCache.builder("x").objectSize(64).slabSize(32).build());
    assertMessage("objectsPerSlab", () -> SlabCache.builder("x").objectSize(8).objectsPerSlab(0).build());
    assertMessage("magazineSize", () -> SlabCache.builder("x").objectSize(8).magazineSize(0).build());
    assertMessage(
        "larger than the budget",
        () -> SlabCache.builder("x").objectSize(64).budget(MemoryBudget.ofBytes("b", 100)).build());
    assertThrows(IllegalArgumentException.class, () -> SlabCache.builder(" "));
  }

  @Test
  void badBulkCountsAndSheafSizesAreRejected() {
    try (SlabCache c = small("bulk")) {
      assertThrows(IllegalArgumentException.class, () -> c.allocateBulk(new long[2], 3));
      assertThrows(IllegalArgumentException.class, () -> c.tryAllocateBulk(new long[2], -1));
      assertThrows(IllegalArgumentException.class, () -> c.prefill(0));
      assertThrows(IllegalArgumentException.class, () -> c.tryPrefill(-1));
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void overDrawnSheafIsRefusedAndKeepsTheCacheIntact() {
    try (SlabCache c = small("sheaf")) {
      Sheaf s = c.prefill(3);
      long a = s.allocate();
      long b = s.allocate();
      long d = s.allocate();
      IllegalStateException e = assertThrows(IllegalStateException.class, s::allocate);
      assertTrue(e.getMessage().contains("over-drawn"), e.getMessage());
      s.close();
      assertThrows(AllocatorClosedException.class, s::allocate);
      assertEquals(3, c.slabStatistics().activeObjects());
      c.free(a);
      c.free(b);
      c.free(d);
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void sheafCloseReturnsWhatWasNotTaken() {
    try (SlabCache c = small("sheaf2")) {
      try (Sheaf s = c.prefill(10)) {
        assertEquals(10, s.capacity());
        c.free(s.allocate());
        assertEquals(9, s.remaining());
      }
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void layoutAlignmentAndConstructorAreHonoured() {
    MemoryLayout node =
        MemoryLayout.structLayout(ValueLayout.JAVA_LONG.withName("start"), ValueLayout.JAVA_INT.withName("bits"));
    int[] constructed = {0};
    try (SlabCache c =
        SlabCache.builder("layout")
            .layout(node)
            .cacheLineAligned(true)
            .objectsPerSlab(10)
            .constructor(
                seg -> {
                  constructed[0]++;
                  seg.set(ValueLayout.JAVA_INT, 8, 0xabcd);
                })
            .build()) {
      long h = c.allocate();
      assertEquals(12, c.objectSize(), "a struct of a long and an int, unpadded");
      assertEquals(64, c.slabStatistics().stride());
      assertEquals(0, (c.memory(h).address() + c.offset(h)) % 64, "objects must start on a cache line");
      assertEquals(10, constructed[0], "the constructor runs once per object when the slab is created");
      assertEquals(0xabcd, c.segment(h).get(ValueLayout.JAVA_INT, 8));
      c.free(h);
      c.allocate();
      assertEquals(10, constructed[0], "the constructor does not run again on reuse");
    }
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
  }
}
