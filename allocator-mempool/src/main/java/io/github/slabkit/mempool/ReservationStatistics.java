package io.github.slabkit.mempool;

/**
 * A snapshot of one reservation's counters, kept by its owner (read it on the owning thread, or after a
 * happens-before hand-over).
 *
 * @param pools how many pools it draws from
 * @param objects how many objects it holds when acquired, over all pools
 * @param acquisitions successful acquisitions
 * @param waits acquisitions that had to queue
 * @param totalWaitNanos their total wait
 * @param maxWaitNanos the longest wait
 * @param maxOvertaken the most objects granted from this reservation's pools to earlier waiters while it was
 *     queued; first-come-first-served bounds it by the demand queued ahead of it
 */
public record ReservationStatistics(
    int pools,
    int objects,
    long acquisitions,
    long waits,
    long totalWaitNanos,
    long maxWaitNanos,
    long maxOvertaken) {}
