package io.github.slabkit.extent.internal;

import org.jspecify.annotations.Nullable;

/**
 * What one tree operation holds while it runs: the states it waited for and has not linked yet (one, or
 * for a lock that waited all-or-nothing for what its range needs, several), and how it may allocate. A thread runs one operation at a time and reuses its {@code Prealloc} (see
 * {@link OpContext}), so operations allocate no heap objects.
 *
 * <p>The liveness rule this class serves: an operation holds {@link #held} states only between the return of a
 * blocking allocation and the states it links into the tree, and it gives it back before it waits for
 * anything (memory or a range lock); see {@link StateAllocator}.
 */
public final class Prealloc {
  long[] held = new long[4];
  int heldCount;
  boolean reclaiming;
  boolean mayAllocate = true;
  /**
   * What the pool threw at a {@link StateAllocator#take} (a slab constructor, a user's allocator), kept until
   * the stopped step reaches {@link StateAllocator#await}: the step stops at a consistent point as if no
   * state were at hand, a lock undoes its prefix, and only then does the exception propagate.
   */
  @Nullable Throwable failure;
  /** How many of the operation's waits asked for fewer states than it needed ({@link StateAllocator#awaitMany}). */
  int clampedWaits;

  /** Creates an empty buffer. */
  public Prealloc() {}

  /**
   * Returns how many states the operation waited for and has not used yet.
   *
   * @return the count
   */
  public int held() {
    return heldCount;
  }

  /**
   * Returns whether the operation allocates with the mempool's reclaiming priority (it gives memory back:
   * clear, unlock, convert, a flusher's lock).
   *
   * @return true if reclaiming
   */
  public boolean reclaiming() {
    return reclaiming;
  }

  /**
   * Starts an operation.
   *
   * @param reclaiming whether it allocates with the reclaiming priority
   */
  public void begin(boolean reclaiming) {
    this.reclaiming = reclaiming;
    this.mayAllocate = true;
    this.failure = null;
    this.clampedWaits = 0;
  }

  /**
   * Forbids or allows allocation: a step that provably needs no new state (the undo of a lock's prefix, the
   * second pass of a lock) runs with allocation forbidden, so a bug there surfaces as an error instead of
   * as a wait for memory while a range is locked.
   *
   * @param may whether the operation may allocate
   */
  public void mayAllocate(boolean may) {
    this.mayAllocate = may;
  }
}
