/**
 * Mempools and atomic multi-object reservations.
 *
 * <p>A {@link io.github.slabkit.mempool.Mempool} wraps any {@link io.github.slabkit.allocator.ObjectAllocator}
 * and keeps a reserve of {@code minNr} preallocated objects, so that a blocking allocation never fails: when the
 * backing allocator has nothing, the reserve gives; when the reserve is empty too, the caller waits for an
 * object to be freed. A {@link io.github.slabkit.mempool.Reservation} declares everything one operation needs
 * from one or more pools and gets all of it or none of it; waiting reservations hold nothing and are served
 * first come, first served.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.mempool;
