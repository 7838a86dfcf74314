package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Each slab debugging detector catches its bug and reports the right cache, object and offset. */
class SlabDebugTest {

  private static SlabCache debugCache(String name, String flags) {
    return SlabCache.builder(name)
        .objectSize(40)
        .objectsPerSlab(8)
        .debug(SlabDebug.of(flags).throwOnReport(true))
        .build();
  }

  @Test
  void writeAfterFreeIsCaughtOnAllocationWithTheOffset() {
    try (SlabCache c = debugCache("uaf", "FPU")) {
      long h = c.allocate();
      MemorySegment mem = c.memory(h);
      long off = c.offset(h);
      c.free(h);
      mem.set(ValueLayout.JAVA_BYTE, off + 13, (byte) 0x42); // write after free
      SlabCorruptionException e = null;
      for (int i = 0; i < 8 && e == null; i++) {
        try {
          c.allocate();
        } catch (SlabCorruptionException x) {
          e = x;
        }
      }
      assertTrue(e != null, "the write after free must be reported");
      assertEquals("uaf", e.cacheName());
      assertEquals(h, e.handle());
      assertEquals(13, e.badOffset());
      assertTrue(e.getMessage().startsWith("BUG uaf: Poison overwritten"), e.getMessage());
      assertTrue(e.getMessage().contains("offset +13"), e.getMessage());
      assertTrue(e.getMessage().contains("SlabDebugTest"), "tracking names where it was freed: " + e.getMessage());
      assertTrue(c.debugReports() >= 1);
    }
  }

  @Test
  void overrunByOneByteIsCaughtOnFree() {
    try (SlabCache c = debugCache("overrun", "Z")) {
      long h = c.allocate();
      c.memory(h).set(ValueLayout.JAVA_BYTE, c.offset(h) + c.objectSize(), (byte) 1);
      SlabCorruptionException e = assertThrows(SlabCorruptionException.class, () -> c.free(h));
      assertEquals(h, e.handle());
      assertEquals(40, e.badOffset(), "one byte past the 40-byte object");
      assertTrue(e.getMessage().startsWith("BUG overrun: Right Redzone overwritten"), e.getMessage());
      // the cache stays usable: the zone was repaired, and the object can be freed again without a report
      c.free(h);
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void underrunIsCaughtOnFree() {
    try (SlabCache c = debugCache("underrun", "Z")) {
      long h = c.allocate();
      c.memory(h).set(ValueLayout.JAVA_BYTE, c.offset(h) - 1, (byte) 7);
      SlabCorruptionException e = assertThrows(SlabCorruptionException.class, () -> c.free(h));
      assertEquals(-1, e.badOffset());
      assertTrue(e.getMessage().startsWith("BUG underrun: Left Redzone overwritten"), e.getMessage());
      c.free(h);
    }
  }

  @Test
  void segmentViewCannotReachTheRedZones() {
    try (SlabCache c = debugCache("view", "FZP")) {
      long h = c.allocate();
      MemorySegment s = c.segment(h);
      assertEquals(40, s.byteSize());
      s.fill((byte) 0x11);
      c.free(h); // no report: writes inside the object never touch the guards
      assertEquals(0, c.debugReports());
    }
  }

  @Test
  void everyDoubleFreeIsCaughtExactly() {
    try (SlabCache c =
        SlabCache.builder("df").objectSize(16).objectsPerSlab(8).debug(SlabDebug.of("F")).build()) {
      long a = c.allocate();
      long b = c.allocate();
      long d = c.allocate();
      c.free(a);
      c.free(b);
      c.free(d);
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(a));
      assertTrue(e.getMessage().contains("BUG df: double free"), e.getMessage());
      assertEquals(1, c.debugReports());
      long x = c.allocate();
      long y = c.allocate();
      long z = c.allocate();
      long w = c.allocate();
      assertTrue(x != y && y != z && z != w && x != z && x != w && y != w, "no object is handed out twice");
      c.freeBulk(new long[] {x, y, z, w}, 4);
    }
  }

  @Test
  void foreignHandleIsReportedWithTheCacheName() {
    try (SlabCache c = debugCache("mine", "F");
        SlabCache other = SlabCache.builder("theirs").objectSize(40).build()) {
      long h = other.allocate();
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(h));
      assertTrue(e.getMessage().contains("[BUG mine: invalid free]"), e.getMessage());
      assertTrue(e.getMessage().contains("another allocator"), e.getMessage());
      other.free(h);
    }
  }

  @Test
  void leakReportGroupsAllocationSitesWithCounts() {
    SlabCache c = SlabCache.builder("leaky").objectSize(24).debug(SlabDebug.of("U")).build();
    for (int i = 0; i < 3; i++) {
      leakHere(c);
    }
    c.allocate();
    String report = c.leakReport();
    assertTrue(report.startsWith("BUG leaky: 4 objects"), report);
    assertTrue(report.contains("3 object(s) allocated at:"), report);
    assertTrue(report.contains("leakHere"), report);
    AssertionError fail = assertThrows(AssertionError.class, () -> LeakCheck.assertNoLeaks(c));
    assertTrue(fail.getMessage().contains("leakHere"));
    c.close();
    assertEquals(4, c.leakedObjects());
  }

  private static void leakHere(SlabCache c) {
    c.allocate();
  }

  @Test
  void leakCheckPassesWhenEverythingWasFreed() {
    try (SlabCache c = SlabCache.builder("clean").objectSize(24).build()) {
      c.free(c.allocate());
      LeakCheck.assertNoLeaks(c);
    }
  }

  @Test
  void reportsAreLoggedNotThrownByDefaultAndTheCacheStaysUsable() {
    try (SlabCache c =
        SlabCache.builder("logonly").objectSize(40).objectsPerSlab(4).debug(SlabDebug.of("ZP")).build()) {
      long h = c.allocate();
      c.memory(h).set(ValueLayout.JAVA_BYTE, c.offset(h) + 40, (byte) 1);
      c.free(h); // reported through System.Logger, not thrown
      assertEquals(1, c.debugReports());
      long again = c.allocate();
      assertNotEquals(0, again);
      c.free(again);
      assertEquals(1, c.debugReports(), "a repaired zone is not reported again");
    }
  }

  @Test
  void systemPropertySelectsCachesByName() {
    String old = System.getProperty(SlabDebug.PROPERTY);
    try {
      System.setProperty(SlabDebug.PROPERTY, "FZ,alpha,beta");
      assertEquals("FZ", String.valueOf(SlabDebug.fromSystemProperty("beta")));
      assertEquals(null, SlabDebug.fromSystemProperty("gamma"));
      System.setProperty(SlabDebug.PROPERTY, "pu");
      SlabDebug all = SlabDebug.fromSystemProperty("anything");
      assertTrue(all != null && all.poisoning() && all.tracking() && !all.redZones());
      try (SlabCache c = SlabCache.builder("prop").objectSize(8).build()) {
        assertEquals("PU", c.debugOptions().toString());
      }
      assertThrows(IllegalArgumentException.class, () -> SlabDebug.of("FQ"));
    } finally {
      if (old == null) {
        System.clearProperty(SlabDebug.PROPERTY);
      } else {
        System.setProperty(SlabDebug.PROPERTY, old);
      }
    }
  }

  @Test
  void debugCachePassesTheModelOfAllocateAndFree() {
    try (SlabCache c = SlabCache.builder("model").objectSize(33).objectsPerSlab(5)
        .debug(SlabDebug.of("FZPU").throwOnReport(true)).throwOnLeak(true).build()) {
      long[] hs = new long[50];
      for (int round = 0; round < 20; round++) {
        c.allocateBulk(hs, hs.length);
        for (long h : hs) {
          c.segment(h).fill((byte) round);
        }
        c.freeBulk(hs, hs.length);
      }
      try (Sheaf s = c.prefill(7)) {
        c.free(s.allocate());
      }
      assertEquals(0, c.debugReports());
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }
}
