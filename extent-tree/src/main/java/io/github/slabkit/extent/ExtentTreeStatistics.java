package io.github.slabkit.extent;

/**
 * A snapshot of one {@link ExtentTree}'s counters, taken under its lock.
 *
 * @param states the number of extent states in the tree
 * @param spareStates the spare states the tree keeps for its next operations (at most four)
 * @param lockWaiters the threads waiting for a range lock now
 * @param memoryWaiters the threads waiting for a state now (with the tree lock dropped, holding nothing)
 * @param lockWaits how many times a thread started waiting for a range lock
 * @param lockWakeups how many waiters a clear of lock bits woke
 * @param memoryWaits how many times an operation found no state at hand and waited for one
 * @param prefixUndos how many times a lock undid the prefix it had locked before waiting
 * @param poolAllocations how many states came from the pool rather than from the spare states
 * @param strayStates states the pool refused to take back (its {@code free} threw), which the tree holds and
 *     offers again at every later give-back and at {@code close()}; not 0 means the pool refuses frees, and
 *     {@code close()} will report those it still refuses then
 * @param refusedFrees how many states' frees the pool refused (a stray it refuses again when offered again
 *     is not counted again)
 */
public record ExtentTreeStatistics(
    long states,
    int spareStates,
    int lockWaiters,
    int memoryWaiters,
    long lockWaits,
    long lockWakeups,
    long memoryWaits,
    long prefixUndos,
    long poolAllocations,
    int strayStates,
    long refusedFrees) {}
