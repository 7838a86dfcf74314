package io.github.slabkit.jcstress.slab;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;

/**
 * Puts objects of a small {@link SlabCache} where a test wants them to be contested: alone in a full
 * magazine in the depot, or free in a slab. Every cache here has one-handle magazines, a two-magazine depot
 * and a budget of a fixed number of slabs, so it cannot grow past them and every object's place is known.
 *
 * <p>Each fixture pins two "pusher" objects for good. The pushers keep their slab from ever becoming empty
 * (so no shared arena is closed between samples) and move a freed object into the depot: with one-handle
 * magazines, freeing {@code h}, then pusher 1, then pusher 2 leaves {@code [h]} in the depot's full queue,
 * and the two allocations that follow take the pushers back from the calling thread's magazines, which are
 * then empty again.
 */
final class SlabFixture {
  final SlabCache cache;
  private final long pusher1;
  private final long pusher2;

  /**
   * Creates a cache and pins the pushers (the first two objects of the first slab).
   *
   * @param name the cache name
   * @param objectSize bytes per object
   * @param objectsPerSlab objects per slab, at least 2
   * @param slabs the budget in slabs
   */
  SlabFixture(String name, long objectSize, int objectsPerSlab, int slabs) {
    this.cache =
        SlabCache.builder(name)
            .objectSize(objectSize)
            .objectsPerSlab(objectsPerSlab)
            .magazineSize(1)
            .depotMagazines(2)
            .maxEmptySlabs(2)
            .budget(MemoryBudget.ofBytes(name, objectSize * objectsPerSlab * slabs))
            .build();
    this.pusher1 = cache.allocate();
    this.pusher2 = cache.allocate();
  }

  /**
   * Frees {@code h} so that it lies alone in a full magazine in the depot. The calling thread's magazines
   * must be empty, and no {@code shrink()} may have flagged this thread since its last slow-path operation
   * (else the flush it asks for would send {@code h} to its slab instead); they are empty again afterwards.
   *
   * @param h an allocated handle
   * @return false if the magazines did not behave as described (the fixture must then be dropped)
   */
  boolean freeToDepot(long h) {
    cache.free(h);
    cache.free(pusher1);
    cache.free(pusher2);
    return cache.tryAllocate() == pusher2 && cache.tryAllocate() == pusher1;
  }

  /**
   * Frees {@code h} into its slab: free, then {@code shrink()} flushes the calling thread's magazines and
   * the depot. Empty slabs are released (closing their arenas), and every thread of the cache is asked to
   * flush at its next slow-path operation.
   *
   * @param h an allocated handle
   */
  void freeToSlab(long h) {
    cache.free(h);
    cache.shrink();
  }

  /**
   * Frees {@code h} into its slab without releasing the slab if it becomes empty: the free lands in the
   * calling thread's magazine, and the flush that a preceding {@code shrink()} requested moves it to the
   * slab on the next slow path (a free into a full magazine), which keeps empty slabs like any other free.
   * The calling thread's magazines must be empty and its flush flag set; they are empty afterwards.
   *
   * @param h an allocated handle
   * @return false if the magazines did not behave as described
   */
  boolean freeToSlabKeepingIt(long h) {
    cache.free(h);
    cache.free(pusher1);
    return cache.tryAllocate() == pusher1;
  }
}
