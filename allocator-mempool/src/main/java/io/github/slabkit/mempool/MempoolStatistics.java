package io.github.slabkit.mempool;

/**
 * A snapshot of a mempool's counters. Not atomic across fields while other threads work; each field is a
 * value it had during the call.
 *
 * @param name the pool's name
 * @param objectSize the size of one object in bytes (the backing allocator's)
 * @param minNr the reserve's target size
 * @param reserveLevel objects in the reserve now
 * @param liveObjects objects handed out and not freed, including those held untaken by open reservations
 * @param allocations objects handed out since creation ({@code backingHits + reserveHits})
 * @param frees objects given back since creation (frees, and untaken objects of closed reservations)
 * @param backingHits objects that came from the backing allocator
 * @param reserveHits objects that came from the reserve (at once, or granted to a waiter)
 * @param failures {@code tryAllocate} calls that returned {@code 0}
 * @param waits allocations and reservations that had to wait for this pool
 * @param totalWaitNanos their total wait
 * @param maxWaitNanos the longest wait
 * @param waiting allocations and reservations waiting for this pool now
 */
public record MempoolStatistics(
    String name,
    long objectSize,
    int minNr,
    int reserveLevel,
    long liveObjects,
    long allocations,
    long frees,
    long backingHits,
    long reserveHits,
    long failures,
    long waits,
    long totalWaitNanos,
    long maxWaitNanos,
    int waiting) {}
