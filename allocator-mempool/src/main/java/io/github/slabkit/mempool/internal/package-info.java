/**
 * Implementation of the mempool and the reservation queue; not exported.
 *
 * <ul>
 *   <li>{@link io.github.slabkit.mempool.internal.MempoolCore}: the mempool algorithm (reserve, allocate,
 *       free, resize) and its memory-ordering argument.
 *   <li>{@link io.github.slabkit.mempool.internal.ReservationQueue}: the FIFO ticket queue in which every
 *       waiting allocation and reservation waits, and the all-or-nothing cross-pool grant.
 *   <li>{@link io.github.slabkit.mempool.internal.Ticket}: one demand (pools and counts) with room for its
 *       handles; the queue node.
 *   <li>{@code PoolCounters}: a pool's statistics counters, per thread on the fast path.
 *   <li>{@link io.github.slabkit.mempool.internal.HoldAndWaitCheck}: the checked mode.
 * </ul>
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.mempool.internal;
