package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Slab and object sizes beyond what a cache supports are refused by {@code build()} with a message giving
 * the limit, instead of being capped silently (before: {@code slabSize(Long.MAX_VALUE)} built a cache whose
 * first allocation mapped and zeroed 1 GiB).
 */
class SlabBuilderLimitsTest {
  private static void assertRefused(Supplier<SlabCacheBuilder> b, String... words) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.get().build().close());
    assertTrue(e.getMessage().contains("'limits'"), e.getMessage());
    for (String w : words) {
      assertTrue(e.getMessage().contains(w), "message lacks '" + w + "': " + e.getMessage());
    }
  }

  @Test
  void aSlabSizeAboveTheLimitIsRefusedNamingIt() {
    String limit = String.valueOf(SlabCacheBuilder.MAX_SLAB_BYTES);
    assertRefused(() -> SlabCache.builder("limits").objectSize(64).slabSize(Long.MAX_VALUE), limit,
        "MAX_SLAB_BYTES");
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(64).slabSize(SlabCacheBuilder.MAX_SLAB_BYTES + 1), limit);
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(SlabCacheBuilder.MAX_OBJECT_SIZE).slabSize(Long.MAX_VALUE),
        limit);
  }

  @Test
  void aSlabSizeHoldingTooManyObjectsIsRefusedNamingTheCount() {
    // 1 GiB of 8-byte objects would be 2^27 objects; a handle has 24 bits for the slot.
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(1).slabSize(SlabCacheBuilder.MAX_SLAB_BYTES),
        String.valueOf(SlabCacheBuilder.MAX_OBJECTS_PER_SLAB), "MAX_OBJECTS_PER_SLAB");
  }

  @Test
  void objectsPerSlabWhoseSlabExceedsTheLimitIsRefused() {
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(128).objectsPerSlab(SlabCacheBuilder.MAX_OBJECTS_PER_SLAB),
        "MAX_SLAB_BYTES", String.valueOf(SlabCacheBuilder.MAX_SLAB_BYTES / 128));
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(SlabCacheBuilder.MAX_OBJECT_SIZE).objectsPerSlab(65),
        "MAX_SLAB_BYTES");
    assertRefused(
        () -> SlabCache.builder("limits").objectSize(64).objectsPerSlab(SlabCacheBuilder.MAX_OBJECTS_PER_SLAB + 1),
        String.valueOf(SlabCacheBuilder.MAX_OBJECTS_PER_SLAB));
  }

  @Test
  void extremeObjectSizesAreRefusedNamingTheLimit() {
    List<Supplier<SlabCacheBuilder>> bad =
        List.of(
            () -> SlabCache.builder("limits").objectSize(Long.MAX_VALUE),
            () -> SlabCache.builder("limits").objectSize(Long.MIN_VALUE),
            () -> SlabCache.builder("limits").objectSize(SlabCacheBuilder.MAX_OBJECT_SIZE + 1),
            () -> SlabCache.builder("limits").objectSize(Long.MAX_VALUE - 4095).alignment(4096),
            () -> SlabCache.builder("limits")
                .layout(MemoryLayout.sequenceLayout(Long.MAX_VALUE / 8, ValueLayout.JAVA_LONG)));
    for (Supplier<SlabCacheBuilder> b : bad) {
      assertRefused(b, String.valueOf(SlabCacheBuilder.MAX_OBJECT_SIZE));
    }
    assertRefused(() -> SlabCache.builder("limits").objectSize(0), "positive");
  }

  /** The limits themselves are accepted; building maps nothing, so this costs no memory. */
  @Test
  void theLimitsThemselvesAreAccepted() {
    try (SlabCache c =
        SlabCache.builder("limits").objectSize(64).slabSize(SlabCacheBuilder.MAX_SLAB_BYTES).build()) {
      assertEquals(SlabCacheBuilder.MAX_OBJECTS_PER_SLAB, c.slabStatistics().objectsPerSlab());
      assertEquals(0, c.slabStatistics().totalSlabs());
    }
    try (SlabCache c = SlabCache.builder("limits").objectSize(SlabCacheBuilder.MAX_OBJECT_SIZE).build()) {
      assertTrue(c.slabStatistics().slabBytes() <= SlabCacheBuilder.MAX_SLAB_BYTES);
    }
  }
}
