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
}
