package io.github.slabkit.extent.internal;

/**
 * The extent states one operation holds: filled from the mempool before the tree lock is taken, drawn from
 * under the lock, the rest returned after the lock is released. States that the operation frees go back
 * here while there is room, so a merge can feed the next split of the same operation.
 */
public final class Prealloc {
  /** The number of states an operation preallocates: a split at each end of one range. */
  public static final int CAPACITY = 2;

  final long[] handles = new long[CAPACITY];
  int count;

  /** Creates an empty buffer. */
  public Prealloc() {}

  /**
   * Returns the handle array, for bulk allocation into {@code [count(), CAPACITY)}.
   *
   * @return the array
   */
  public long[] handles() {
    return handles;
  }

  /**
   * Returns how many states are held.
   *
   * @return the count
   */
  public int count() {
    return count;
  }

  /**
   * Sets how many states are held, after a bulk fill or a bulk return.
   *
   * @param count the new count
   */
  public void count(int count) {
    this.count = count;
  }
}
