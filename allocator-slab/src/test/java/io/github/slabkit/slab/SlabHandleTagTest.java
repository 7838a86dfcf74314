package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.slab.internal.HandleTags;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 4: handle tags are unique among live caches, also after 65,535 caches were built; a tag of a
 * closed cache is reused as late as possible; one cache more than tags allow is a clear error.
 */
class SlabHandleTagTest {

  @Test
  void aLiveCacheKeepsItsTagWhileMoreThan65535OtherCachesComeAndGo() {
    SlabRegistry registry = new SlabRegistry();
    try (SlabCache first =
        SlabCache.builder("first").objectSize(8).objectsPerSlab(2).registry(registry).build()) {
      long h = first.allocate();
      for (int i = 0; i < HandleTags.MAX_TAGS + 5_000; i++) {
        SlabCache other =
            SlabCache.builder("other")
                .objectSize(8)
                .objectsPerSlab(2)
                .magazineSize(1)
                .depotMagazines(2)
                .registry(registry)
                .build();
        try {
          InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> other.checkHandle(h));
          if (!e.getMessage().contains("another allocator")) {
            fail("cache number " + i + " built after 'first' took its tag: " + e.getMessage());
          }
        } finally {
          other.close();
        }
      }
      first.free(h);
    }
  }

  @Test
  void freedTagsAreReusedOnlyWhenFreshOnesRunOutOldestFirst() {
    HandleTags tags = new HandleTags(4);
    int a = tags.acquire("a");
    int b = tags.acquire("b");
    tags.release(a);
    assertEquals(3, tags.acquire("c"), "a fresh tag comes before a released one");
    assertEquals(4, tags.acquire("d"));
    tags.release(b);
    assertEquals(a, tags.acquire("e"), "then the oldest released tag");
    assertEquals(b, tags.acquire("f"));
    assertEquals(4, tags.held());
  }

  @Test
  void oneTagMoreThanExistIsAClearError() {
    HandleTags tags = new HandleTags(2);
    tags.acquire("x");
    tags.acquire("y");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> tags.acquire("z"));
    assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("2 slab caches are open"), e.getMessage());
    assertTrue(e.getMessage().contains("close caches"), e.getMessage());
  }

  @Test
  void aCacheThatFailsToBuildGivesItsTagBack() {
    int held = HandleTags.global().held();
    try (SlabCache a = SlabCache.builder("tag-jmx").objectSize(8).jmx(true).build()) {
      assertThrows(
          IllegalStateException.class, () -> SlabCache.builder("tag-jmx").objectSize(8).jmx(true).build());
      assertEquals(held + 1, HandleTags.global().held(), "the failed build must not keep a tag");
      assertEquals(1, a.slabStatistics().name().equals("tag-jmx") ? 1 : 0);
    }
    assertEquals(held, HandleTags.global().held());
  }
}
