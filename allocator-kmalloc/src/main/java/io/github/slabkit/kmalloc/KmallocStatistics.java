package io.github.slabkit.kmalloc;

import java.util.List;

/**
 * A snapshot of a {@link Kmalloc}: every size class, the large allocations, and the totals. Not atomic across
 * fields while other threads allocate.
 *
 * @param name the allocator's name
 * @param classes one entry per size class, smallest first
 * @param largeLive large allocations (above the largest class) not yet freed
 * @param largeBytes their bytes, whole pages, charged to the budget
 * @param largeAllocations large allocations since creation
 * @param largeFrees large frees since creation
 * @param largeFailures large requests the budget or the operating system refused
 * @param samplingInterval one allocation in this many has its requested size counted (1: all)
 * @param budgetUsed the shared budget's usage (it may be shared beyond this allocator)
 */
public record KmallocStatistics(
    String name,
    List<SizeClassStatistics> classes,
    long largeLive,
    long largeBytes,
    long largeAllocations,
    long largeFrees,
    long largeFailures,
    int samplingInterval,
    long budgetUsed) {

  /** Copies the class list. */
  public KmallocStatistics {
    classes = List.copyOf(classes);
  }

  /**
   * Objects allocated and not freed, in every class and large.
   *
   * @return the count
   */
  public long liveObjects() {
    long n = largeLive;
    for (SizeClassStatistics c : classes) {
      n += c.liveObjects();
    }
    return n;
  }

  /**
   * Bytes charged to the budget by the class caches' slabs and the large allocations.
   *
   * @return the bytes
   */
  public long bytesCharged() {
    long n = largeBytes;
    for (SizeClassStatistics c : classes) {
      n += c.slab().bytesCharged();
    }
    return n;
  }

  /**
   * The internal fragmentation over all classes: bytes allocated but not asked for as a fraction of bytes
   * asked for, over the sampled class allocations since creation (large allocations, whole pages, are not
   * included).
   *
   * @return the fraction, or 0 when nothing was sampled
   */
  public double internalFragmentation() {
    long requested = 0;
    long usable = 0;
    for (SizeClassStatistics c : classes) {
      requested += c.sampledRequestedBytes();
      usable += c.sampledUsableBytes();
    }
    return requested == 0 ? 0 : (double) (usable - requested) / requested;
  }
}
