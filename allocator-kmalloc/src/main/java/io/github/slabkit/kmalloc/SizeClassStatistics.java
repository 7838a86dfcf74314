package io.github.slabkit.kmalloc;

import io.github.slabkit.slab.SlabStatistics;

/**
 * A snapshot of one size class: its slab cache's figures and the requested-versus-usable bytes. Not atomic
 * across fields while other threads allocate.
 *
 * <p>Requested bytes are counted for one allocation in {@link KmallocStatistics#samplingInterval()} (every
 * allocation when it is 1, see {@link KmallocBuilder#requestSampling(int)}); the usable bytes of the same
 * sample are {@code sampledAllocations * size}, so {@link #internalFragmentation()} is exact with interval 1
 * and an unbiased estimate otherwise.
 *
 * @param name the class's cache name, e.g. {@code kmalloc-64}
 * @param size the usable bytes of every object of the class
 * @param alignment the natural alignment of the class
 * @param sampledAllocations the allocations whose request was counted
 * @param sampledRequestedBytes the bytes those allocations asked for
 * @param slab the class cache's slabinfo figures and counters
 */
public record SizeClassStatistics(
    String name,
    long size,
    long alignment,
    long sampledAllocations,
    long sampledRequestedBytes,
    SlabStatistics slab) {

  /**
   * Objects of this class allocated and not freed.
   *
   * @return the count
   */
  public long liveObjects() {
    return slab.activeObjects();
  }

  /**
   * Usable bytes of the sampled allocations.
   *
   * @return {@code sampledAllocations * size}
   */
  public long sampledUsableBytes() {
    return sampledAllocations * size;
  }

  /**
   * The internal fragmentation of this class: bytes allocated but not asked for, as a fraction of the bytes
   * asked for, over the sampled allocations since creation.
   *
   * @return {@code (usable - requested) / requested}, or 0 when nothing was sampled
   */
  public double internalFragmentation() {
    return sampledRequestedBytes == 0
        ? 0
        : (double) (sampledUsableBytes() - sampledRequestedBytes) / sampledRequestedBytes;
  }
}
