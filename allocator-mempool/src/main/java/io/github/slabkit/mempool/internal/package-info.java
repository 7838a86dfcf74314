/**
 * Implementation of the mempool and the reservation queue; not exported.
 *
 * <ul>
 *   <li>{@link io.github.slabkit.mempool.internal.MempoolCore}: the mempool algorithm (allocate, free,
 *       resize, close) over a reserve and a backing allocator, and its exception safety.
 *   <li>{@code Reserve}: the reserve's array, level, {@code minNr}, headroom and claims, and the
 *       memory-ordering argument of the unlocked free-path test (the fence pair).
 *   <li>{@link io.github.slabkit.mempool.internal.ReservationQueue}: the work-conserving ticket queue of a
 *       domain in which waiting allocations and reservations wait, the all-or-nothing cross-pool grant, and
 *       the claims that bound starvation.
 *   <li>{@link io.github.slabkit.mempool.internal.Ticket}: one demand (pools and counts) with room for its
 *       handles; the queue node.
 *   <li>{@code PoolCounters}: a pool's statistics counters, per thread on the fast path.
 *   <li>{@link io.github.slabkit.mempool.internal.HoldAndWaitCheck}: the checked mode, and {@code
 *       HandleOwners}, its map from a held handle to its holder.
 * </ul>
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.mempool.internal;
