package io.github.slabkit.allocator;

/**
 * A snapshot of an allocator's counters, common to every allocator. Implementations offer richer
 * snapshots of their own (a slab cache's has the slabinfo columns).
 *
 * @param name the allocator's name
 * @param objectSize the usable size of one object in bytes
 * @param liveObjects objects allocated and not yet freed by users
 * @param cachedObjects free objects held in caches (magazines, depot, a mempool's reserve) ready to be handed out
 * @param totalObjects all objects the allocator has memory for
 * @param allocations successful allocations since creation
 * @param frees frees since creation
 * @param failures allocations that returned {@code 0} or threw for lack of memory
 * @param bytesCharged bytes charged to the memory budget
 */
public record AllocatorStatistics(
    String name,
    long objectSize,
    long liveObjects,
    long cachedObjects,
    long totalObjects,
    long allocations,
    long frees,
    long failures,
    long bytesCharged) {}
