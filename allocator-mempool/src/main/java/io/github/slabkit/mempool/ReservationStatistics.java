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
 * @param maxOvertaken the most objects taken from this reservation's pools' reserves by other requests while
 *     it waited: pools are work-conserving, so others take what it cannot use yet, until it claims the pools
 *     (see {@link ReservationDomain})
 * @param claims how many claim windows it opened while waiting, over all acquisitions
 */
public record ReservationStatistics(
    int pools,
    int objects,
    long acquisitions,
    long waits,
    long totalWaitNanos,
    long maxWaitNanos,
    long maxOvertaken,
    long claims) {}
