/**
 * The slab cache: {@link io.github.slabkit.slab.SlabCache} hands out fixed-size off-heap objects named by
 * {@code long} handles, with a per-thread fast path that allocates no heap memory.
 *
 * {@snippet :
 * try (SlabCache cache = SlabCache.builder("nodes").objectSize(64).build()) {
 *   long h = cache.allocate();
 *   cache.segment(h).fill((byte) 0);
 *   cache.free(h);
 * }
 * }
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.slab;
