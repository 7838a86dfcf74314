package io.github.slabkit.slab;

/**
 * A snapshot of a slab cache: the columns of {@code /proc/slabinfo} (version 2.1) and Slabkit's counters.
 * Not atomic across fields while other threads use the cache.
 *
 * @param name the cache's name
 * @param objectSize the usable bytes of an object
 * @param stride bytes between consecutive objects (object size rounded up to the alignment)
 * @param objectsPerSlab objects in one slab ({@code objperslab})
 * @param slabBytes bytes of one slab
 * @param activeObjects objects allocated and not freed by users; never negative (double frees are refused,
 *     and a snapshot that lags behind frees on other threads is clamped at 0)
 * @param cachedObjects free objects held in per-thread magazines and the depot
 * @param totalObjects objects in all slabs ({@code num_objs})
 * @param activeSlabs slabs with at least one object out of the slab layer ({@code active_slabs})
 * @param totalSlabs all slabs ({@code num_slabs})
 * @param emptySlabs slabs with every object free, kept for reuse
 * @param allocations allocations since creation
 * @param frees frees since creation
 * @param fastPathAllocations allocations served from the thread's loaded magazine without a slow path;
 *     bulk, debug-mode and direct (virtual thread, busy stripes) allocations never count here
 * @param depotExchanges magazines exchanged with the depot
 * @param slabGrows slabs created
 * @param slabReleases slabs released to the operating system
 * @param failures allocations that returned 0 or threw for lack of memory
 * @param doubleFrees frees of an object that was already free, refused with an exception
 * @param bytesCharged bytes charged to the memory budget by this cache
 * @param threadCaches platform-thread caches registered now
 */
public record SlabStatistics(
    String name,
    long objectSize,
    long stride,
    int objectsPerSlab,
    long slabBytes,
    long activeObjects,
    long cachedObjects,
    long totalObjects,
    long activeSlabs,
    long totalSlabs,
    long emptySlabs,
    long allocations,
    long frees,
    long fastPathAllocations,
    long depotExchanges,
    long slabGrows,
    long slabReleases,
    long failures,
    long doubleFrees,
    long bytesCharged,
    int threadCaches) {

  /**
   * Bytes in objects held by users.
   *
   * @return {@code activeObjects * stride}
   */
  public long bytesInUse() {
    return activeObjects * stride;
  }

  /**
   * Bytes in free objects held in magazines and the depot.
   *
   * @return {@code cachedObjects * stride}
   */
  public long bytesCached() {
    return cachedObjects * stride;
  }

  /**
   * Bytes in empty slabs kept for reuse.
   *
   * @return {@code emptySlabs * slabBytes}
   */
  public long bytesInEmptySlabs() {
    return emptySlabs * slabBytes;
  }
}
