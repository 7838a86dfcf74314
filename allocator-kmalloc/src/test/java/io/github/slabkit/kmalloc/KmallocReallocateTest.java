package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.slabkit.allocator.InvalidHandleException;
import org.junit.jupiter.api.Test;

/**
 * {@link Kmalloc#reallocate} of a handle that is not live: it throws {@link InvalidHandleException} as
 * documented, and the object it would have moved to is not lost (nothing stays allocated, close() finds no
 * leak).
 */
class KmallocReallocateTest {
  @Test
  void reallocateOfAFreedClassHandleThrowsAndLeaksNothing() {
    Kmalloc k = Kmalloc.builder().name("realloc-freed").throwOnLeak(true).build();
    long h = k.allocate(16);
    k.free(h);
    // the freed handle's slab is still there, so its class cache's cheap check passes; the move must not
    // allocate a new object that nobody frees when the old one turns out to be free
    assertThrows(InvalidHandleException.class, () -> k.reallocate(h, 4096));
    assertThrows(InvalidHandleException.class, () -> k.reallocate(h, 64));
    assertEquals(0, k.statistics().liveObjects(), "a refused reallocate must hold nothing");
    assertDoesNotThrow(k::close);
  }

  @Test
  void reallocateOfAFreedLargeHandleThrowsAndLeaksNothing() {
    Kmalloc k = Kmalloc.builder().name("realloc-freed-large").throwOnLeak(true).build();
    long big = k.usableSizeFor(1) * 0 + (1 << 20);
    long h = k.allocate(big);
    k.free(h);
    assertThrows(InvalidHandleException.class, () -> k.reallocate(h, 2 * big));
    assertThrows(InvalidHandleException.class, () -> k.reallocate(h, 16));
    assertEquals(0, k.statistics().liveObjects());
    assertDoesNotThrow(k::close);
  }

  /**
   * A freed class handle whose object would fit in place (the shrink and same-size cases) is refused too:
   * before, reallocate returned the freed handle, and the caller went on using an object the cache could
   * hand to someone else. Nothing changes: the allocation counters stay, and the next allocation is normal.
   */
  @Test
  void reallocateInPlaceOfAFreedClassHandleIsRefusedAndChangesNothing() {
    for (boolean debug : new boolean[] {false, true}) {
      KmallocBuilder b = Kmalloc.builder().name("realloc-freed-in-place-" + debug).throwOnLeak(true);
      if (debug) {
        b.debug(io.github.slabkit.slab.SlabDebug.of("FZPU"));
      }
      Kmalloc k = b.build();
      long keep = k.allocate(64); // keeps the slab of the class alive
      long h = k.allocate(64);
      k.free(h);
      long allocations = allocations(k);
      long frees = frees(k);
      for (long size : new long[] {64, 48, 8, 1}) {
        InvalidHandleException e =
            assertThrows(InvalidHandleException.class, () -> k.reallocate(h, size), "size " + size);
        assertEquals(h, e.handle());
        assertThrows(InvalidHandleException.class, () -> k.reallocate(h, size, 8));
      }
      assertEquals(allocations, allocations(k), "nothing allocated");
      assertEquals(frees, frees(k), "nothing freed");
      assertEquals(1, k.statistics().liveObjects());
      // The refused reallocations did not revive the handle: freeing it is still a double free.
      assertThrows(InvalidHandleException.class, () -> k.free(h));
      k.free(keep);
      assertDoesNotThrow(k::close);
    }
  }

  /** The liveness check leaves a live handle as it was: reallocated in place, it is freed exactly once. */
  @Test
  void reallocateInPlaceOfALiveHandleKeepsItLive() {
    Kmalloc k = Kmalloc.builder().name("realloc-live-in-place").throwOnLeak(true).build();
    long h = k.allocate(64);
    assertEquals(h, k.reallocate(h, 32));
    assertEquals(h, k.reallocate(h, 64));
    assertEquals(1, k.statistics().liveObjects());
    k.free(h);
    assertThrows(InvalidHandleException.class, () -> k.free(h));
    assertEquals(0, k.statistics().liveObjects());
    assertDoesNotThrow(k::close);
  }

  private static long allocations(Kmalloc k) {
    return k.statistics().classes().stream().mapToLong(c -> c.slab().allocations()).sum();
  }

  private static long frees(Kmalloc k) {
    return k.statistics().classes().stream().mapToLong(c -> c.slab().frees()).sum();
  }
}
