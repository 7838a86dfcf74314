package io.github.slabkit.slab;

/**
 * The JMX view of one slab cache, registered by {@link SlabCache#registerMBean()} (or the builder's {@code
 * jmx(true)}) as {@code io.github.slabkit:type=SlabCache,name=<name>} (quoted only when the name needs it, see
 * {@link SlabCache#registerMBean()}) and unregistered by {@code close()}.
 * Figures are those of {@link SlabStatistics}; memory is split the way pooled-allocator users ask for: in use
 * by objects, held in magazines and the depot, in empty slabs, and charged to the budget.
 */
public interface SlabCacheMXBean {
  /**
   * The cache's name.
   *
   * @return the name
   */
  String getName();

  /**
   * Object size in bytes.
   *
   * @return the size
   */
  long getObjectSize();

  /**
   * Objects held by users.
   *
   * @return the count
   */
  long getActiveObjects();

  /**
   * Free objects held in magazines and the depot.
   *
   * @return the count
   */
  long getCachedObjects();

  /**
   * Objects in all slabs.
   *
   * @return the count
   */
  long getTotalObjects();

  /**
   * Slabs now.
   *
   * @return the count
   */
  long getSlabs();

  /**
   * Bytes in objects held by users.
   *
   * @return bytes
   */
  long getBytesInUse();

  /**
   * Bytes in free objects held in magazines and the depot.
   *
   * @return bytes
   */
  long getBytesCached();

  /**
   * Bytes in empty slabs kept for reuse.
   *
   * @return bytes
   */
  long getBytesInEmptySlabs();

  /**
   * Bytes charged to the memory budget.
   *
   * @return bytes
   */
  long getBytesCharged();

  /**
   * Allocations since creation.
   *
   * @return the count
   */
  long getAllocations();

  /**
   * Frees since creation.
   *
   * @return the count
   */
  long getFrees();

  /**
   * Failed allocations.
   *
   * @return the count
   */
  long getFailures();

  /**
   * Debug reports made.
   *
   * @return the count
   */
  long getDebugReports();

  /**
   * The slabinfo line of this cache.
   *
   * @return the text
   */
  String getSlabInfo();

  /**
   * Runs {@link SlabCache#trim()}.
   *
   * @return bytes released
   */
  long trim();
}
