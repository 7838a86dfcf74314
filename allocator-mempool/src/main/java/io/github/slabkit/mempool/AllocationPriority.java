package io.github.slabkit.mempool;

/**
 * How deep into a mempool's reserve an allocation may reach: the kernel's watermarks and
 * {@code __GFP_MEMALLOC}.
 *
 * <p>A pool built with a {@link Mempool.Builder#headroom(int) headroom} of {@code h} keeps the last {@code h}
 * objects of its reserve for {@link #RECLAIMING} allocations: {@link #NORMAL} allocations stop when the
 * reserve is down to {@code h} objects (and then wait, as usual), reclaiming ones may take the rest. An
 * operation that gives memory back (a flusher's {@code clear}, an {@code unlock} that lets writeback finish)
 * may need one object first, for instance to split a range; with a headroom it can always get it after
 * ordinary writers drained the pool. With a headroom of {@code 0} (the default) both priorities behave the
 * same.
 *
 * <p>Demands are checked against what the priority may reach: a {@link #NORMAL} demand (a bulk allocation, a
 * reservation) may be at most {@code minNr - headroom}, a reclaiming one at most {@code minNr}.
 */
public enum AllocationPriority {
  /** An ordinary allocation: stops at the pool's headroom. */
  NORMAL,
  /**
   * An allocation made in order to give memory back: may take the whole reserve, headroom included, and is
   * not held back by an ordinary waiter's claim. Use it only on paths that free at least as much as they
   * take, or the headroom drains like the rest of the reserve.
   */
  RECLAIMING
}
