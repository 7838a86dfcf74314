package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@value Mempool#DEBUG_PROPERTY} property and the per-pool ways out of it: a list of pool names after
 * the flags, and {@link Mempool.Builder#poisonReserve(boolean)}, which wins over the property. A pool over a
 * slab cache with an object constructor kept out of poisoning hands out constructed objects from its
 * reserve. (Tests in this module run one at a time, so setting the property here affects no other test.)
 */
class MempoolPoisonPropertyTest {
  private static final long PATTERN = 0x1234_5678_9abc_def0L;

  @AfterEach
  void clearProperty() {
    System.clearProperty(Mempool.DEBUG_PROPERTY);
  }

  private static SlabCache constructed(String name) {
    return SlabCache.builder(name).objectSize(32).objectsPerSlab(8)
        .constructor(o -> o.set(ValueLayout.JAVA_LONG, 0, PATTERN)).build();
  }

  /** Takes the whole reserve, checks each object is in constructed state, and gives them back. */
  private static void assertReserveConstructed(Mempool p, SlabCache c) {
    long[] hs = new long[p.minNr()];
    for (int i = 0; i < hs.length; i++) {
      hs[i] = p.allocate();
    }
    for (long h : hs) {
      MemorySegment s = c.segment(h);
      assertEquals(PATTERN, s.get(ValueLayout.JAVA_LONG, 0), "constructed state lost");
      p.free(h);
    }
  }

  @Test
  void thePropertyWithoutNamesPoisonsEveryPoolUnlessTheBuilderSaysOtherwise() {
    System.setProperty(Mempool.DEBUG_PROPERTY, "P");
    // A poisoned pool gives poisoned objects back to its cache on close: keep it off the constructed one.
    try (SlabCache plain = SlabCache.builder("poison-prop-plain").objectSize(32).objectsPerSlab(8).build();
        SlabCache c = constructed("poison-prop-all")) {
      try (Mempool p = Mempool.builder("any-pool", plain).minNr(2).build()) {
        assertTrue(p.core().poisoning());
      }
      try (Mempool p = Mempool.builder("ctor-pool", c).minNr(2).poisonReserve(false).build()) {
        assertFalse(p.core().poisoning(), "the builder wins over the property");
        assertReserveConstructed(p, c);
      }
    }
  }

  /** Before the name list, any value containing P (here "P,checked-pool") poisoned every pool. */
  @Test
  void aListOfNamesPoisonsOnlyThosePools() {
    System.setProperty(Mempool.DEBUG_PROPERTY, "P, checked-pool");
    try (SlabCache plain = SlabCache.builder("poison-prop-plain2").objectSize(32).objectsPerSlab(8).build();
        SlabCache c = constructed("poison-prop-named")) {
      try (Mempool p = Mempool.builder("checked-pool", plain).minNr(2).build()) {
        assertTrue(p.core().poisoning(), "named pools are poisoned");
      }
      try (Mempool p = Mempool.builder("ctor-pool", c).minNr(2).build()) {
        assertFalse(p.core().poisoning(), "pools not named are not");
        assertReserveConstructed(p, c);
      }
    }
  }

  @Test
  void theBuilderCanTurnPoisoningOnWithoutTheProperty() {
    System.setProperty(Mempool.DEBUG_PROPERTY, "");
    try (SlabCache c = SlabCache.builder("poison-prop-none").objectSize(32).objectsPerSlab(8).build()) {
      try (Mempool p = Mempool.builder("plain-pool", c).minNr(2).build()) {
        assertFalse(p.core().poisoning());
      }
      try (Mempool p = Mempool.builder("explicit-pool", c).minNr(2).poisonReserve(true).build()) {
        assertTrue(p.core().poisoning());
      }
    }
  }
}
