package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SlabCache#isAllocated}: true exactly while the user holds the object, read-only, in both modes. */
class SlabIsAllocatedTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void isAllocatedFollowsTheObjectsLife(boolean debug) {
    SlabCache other = SlabCache.builder("other").objectSize(32).build();
    SlabCacheBuilder b = SlabCache.builder("live").objectSize(32).objectsPerSlab(8);
    if (debug) {
      b.debug(SlabDebug.of("FZ"));
    }
    SlabCache c = b.build();
    long h = c.allocate();
    long kept = c.allocate(); // keeps the slab, so a freed handle still resolves to it
    assertTrue(c.isAllocated(h));
    c.stash(h);
    assertFalse(c.isAllocated(h), "a stashed object is not the user's");
    c.unstash(h);
    assertTrue(c.isAllocated(h));
    c.free(h);
    assertFalse(c.isAllocated(h), "a freed object whose slab still exists");
    assertFalse(c.isAllocated(0));
    long foreign = other.allocate();
    assertFalse(c.isAllocated(foreign), "another cache's handle");
    long frees = c.slabStatistics().frees();
    long refused = c.slabStatistics().doubleFrees();
    assertFalse(c.isAllocated(h));
    assertEquals(frees, c.slabStatistics().frees(), "read-only");
    assertEquals(refused, c.slabStatistics().doubleFrees(), "read-only: no refusal counted");
    assertEquals(0, c.debugReports(), "nothing reported");
    c.free(kept);
    c.shrink(); // the slab is empty now: released
    assertEquals(0, c.slabStatistics().totalSlabs(), "the slab was released");
    assertFalse(c.isAllocated(kept), "a released slab's handle");
    other.free(foreign);
    other.close();
    c.close();
    assertThrows(AllocatorClosedException.class, () -> c.isAllocated(kept));
  }
}
