/**
 * Mempools and atomic multi-object reservations.
 *
 * <p>A {@link io.github.slabkit.mempool.Mempool} wraps any {@link io.github.slabkit.allocator.ObjectAllocator}
 * and keeps a reserve of {@code minNr} preallocated objects, so that a blocking allocation never fails: when the
 * backing allocator has nothing, the reserve gives; when the reserve is empty too, the caller waits for an
 * object to be freed. A {@link io.github.slabkit.mempool.Reservation} declares everything one operation needs
 * from one or more pools and gets all of it or none of it; a waiting reservation holds nothing.
 *
 * <h2>Liveness rules</h2>
 * The package is built to these rules; each has tests that fail if it is broken ({@code MempoolLivenessTest},
 * {@code MempoolTortureTest}, {@code CheckedModeTest}, {@code FairnessTest}).
 * <ol>
 *   <li><b>No hold-and-wait inside the library.</b> No thread waits for memory while it holds objects it took
 *       for the current request: a bulk allocation or a reservation that cannot be filled at once gives back
 *       what it took before it waits, and every path that meets an exception (a backing allocator that throws)
 *       gives back before the exception leaves.
 *   <li><b>Work-conserving pools.</b> A request, single or reservation, never waits while what it may take is
 *       at hand. What it may take is the reserve, less the {@linkplain
 *       io.github.slabkit.mempool.Mempool.Builder#headroom(int) headroom} unless it is {@linkplain
 *       io.github.slabkit.mempool.AllocationPriority#RECLAIMING reclaiming}, less the demand of another
 *       waiter's active claim. Each free into a reserve is offered to the oldest waiter that it now satisfies.
 *   <li><b>Bounded starvation by claims that expire.</b> A waiter that has waited one claim window ({@link
 *       io.github.slabkit.mempool.ReservationDomain}, 10 ms by default) claims its pools for one window; a claim
 *       lapses by the clock, not by anyone's progress, and the waiter may claim again after one more window. A
 *       demand is therefore granted within the first claim window in which the objects held by others come
 *       back, and no other request is held back by claims for longer than one window at a time.
 *   <li><b>Headroom for the operations that give memory back</b> (the kernel's watermarks and
 *       {@code __GFP_MEMALLOC}): ordinary allocations stop at the headroom; reclaiming ones may take the rest.
 * </ol>
 *
 * <h2>The wait-for graph, and why no cycle can form</h2>
 * Nodes are threads. A thread that waits in a pool's queue has an edge to every thread that holds an object
 * of a pool it waits for (only a free can satisfy it), and, while another waiter claims its pool, an edge to
 * that claimant.
 * <ul>
 *   <li>Claim edges end by the clock. A cycle that needs a claim edge lasts at most one claim window, after
 *       which the claimed objects are available to the others (rule 2), so no lasting cycle uses one.
 *   <li>A waiting thread holds nothing the library gave it for the request it waits for (rule 1). So a cycle
 *       needs a waiting thread that holds objects from <em>earlier</em> requests: objects of one pool held while
 *       blocking on another (or the same) pool. That is the seed's ABBA pattern, and only code outside the
 *       library creates it.
 *   <li>If every thread takes pools in one global order (the kernel's rule) and takes at most one object of a
 *       pool before it blocks on that pool again, order the threads of a would-be cycle by the highest pool
 *       each holds: the thread holding the highest pool waits only for a higher pool, whose holders wait for
 *       still higher ones, and the top of that chain waits for nothing. No cycle.
 *   <li>The reserve closes the remaining gap: each pool's {@code minNr} objects can only be held by running
 *       threads or by waiters' predecessors in that order, so frees keep coming back to it, and a waiter whose
 *       demand is at most what it may take of {@code minNr} is eventually satisfiable.
 * </ul>
 * Checked mode ({@link io.github.slabkit.mempool.Reservation#checkedMode(boolean)}) enforces the hypothesis
 * of the third point at run time: a thread that holds an open reservation, or objects of a pool that no
 * declared {@linkplain io.github.slabkit.mempool.Mempool.Builder#allocationOrder(int) allocation order} puts
 * before the pool it now blocks on (or of that same pool), is rejected with an explanation instead of being
 * allowed to block. Ownership follows the object: a free on another thread, or {@link
 * io.github.slabkit.mempool.Mempool#disown(long)} by a data structure that stores it, releases the hold.
 *
 * <h2>Sizing {@code minNr} and the headroom</h2>
 * {@code minNr} must cover the largest single demand (a bulk allocation or the pool's part of a reservation)
 * plus the headroom. The headroom must cover what the reclaiming operations in flight at once take before
 * they give back: an extent tree's {@code clear} or {@code unlock} takes at most one state at a time and frees
 * at least as many, so one per concurrent flusher is enough. Ordinary writers should be throttled before the
 * reserve drains (as the kernel's {@code balance_dirty_pages} throttles dirtiers): the reserve then carries
 * bursts, and the headroom is what lets the flusher run when a burst drained the rest.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.mempool;
