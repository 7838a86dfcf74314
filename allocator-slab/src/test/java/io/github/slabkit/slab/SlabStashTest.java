package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import org.junit.jupiter.api.Test;

/**
 * {@link SlabCache#stash} and {@link SlabCache#unstash}, which a mempool's reserve uses: a stashed object
 * counts as free for double-free detection and stays allocated in its slab.
 */
class SlabStashTest {

  private static SlabCache cache(String name) {
    return SlabCache.builder(name).objectSize(32).objectsPerSlab(8).magazineSize(2).build();
  }

  @Test
  void aStashedObjectCannotBeFreedOrStashedAgainUntilUnstashed() {
    try (SlabCache c = cache("stash")) {
      long h = c.allocate();
      c.stash(h);
      assertEquals(1, c.slabStatistics().activeObjects(), "a stashed object stays allocated");
      InvalidHandleException free = assertThrows(InvalidHandleException.class, () -> c.free(h));
      assertTrue(free.getMessage().contains("double free"), free.getMessage());
      InvalidHandleException again = assertThrows(InvalidHandleException.class, () -> c.stash(h));
      assertTrue(again.getMessage().contains("double free"), again.getMessage());
      assertEquals(2, c.slabStatistics().doubleFrees());
      c.unstash(h);
      c.free(h); // handed out again, then freed once: accepted
      assertEquals(0, c.slabStatistics().activeObjects());
      assertThrows(InvalidHandleException.class, () -> c.stash(h), "a free object cannot be stashed");
    }
  }

  @Test
  void stashRefusesBadHandlesAndAClosedCache() {
    SlabCache c = cache("stash-bad");
    try (SlabCache other = cache("stash-other")) {
      long foreign = other.allocate();
      InvalidHandleException zero = assertThrows(InvalidHandleException.class, () -> c.stash(0));
      assertTrue(zero.getMessage().contains("null handle"), zero.getMessage());
      InvalidHandleException alien = assertThrows(InvalidHandleException.class, () -> c.stash(foreign));
      assertTrue(alien.getMessage().contains("another allocator"), alien.getMessage());
      assertEquals(0, c.slabStatistics().doubleFrees(), "bad handles are not double frees");
      other.free(foreign);
    }
    long h = c.allocate();
    c.free(h);
    c.close();
    AllocatorClosedException closed = assertThrows(AllocatorClosedException.class, () -> c.stash(h));
    assertTrue(closed.getMessage().startsWith("stash-bad: stash after close()"), closed.getMessage());
  }

  /** In debug mode the debugger's exact checks apply: a free object cannot be stashed. */
  @Test
  void debugModeRefusesToStashAFreeObject() {
    try (SlabCache c =
        SlabCache.builder("stash-debug").objectSize(32).objectsPerSlab(8).debug(SlabDebug.of("F")).build()) {
      long h = c.allocate();
      c.stash(h);
      c.unstash(h);
      c.free(h);
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.stash(h));
      assertTrue(e.getMessage().contains("double free"), e.getMessage());
      assertEquals(1, c.slabStatistics().doubleFrees());
    }
  }
}
