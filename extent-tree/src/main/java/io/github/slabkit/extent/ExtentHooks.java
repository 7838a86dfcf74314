package io.github.slabkit.extent;

/**
 * Callbacks for accounting, called like btrfs's {@code btrfs_set_delalloc_extent},
 * {@code btrfs_clear_delalloc_extent}, {@code btrfs_merge_delalloc_extent} and
 * {@code btrfs_split_delalloc_extent}: under the tree lock, before the state changes, with the state's
 * range and bits as they are at that moment.
 *
 * <p>Hooks must be quick, must not throw, and must not call into any {@link ExtentTree} (the tree lock is
 * held and is not reentrant for the tree's structure). Each method has an empty default; override what you
 * account for.
 *
 * <p>A hook that throws anyway does not stop the change it announces: the tree keeps the exception,
 * finishes the step it was in (so no state is lost, neighbours still merge, the structure stays valid),
 * and the operation throws it (later ones suppressed in it) at its next point where it could wait for
 * memory, or when it is done. What the operation changed until then stays changed, as when it waits for
 * memory, except that a lock gives back every byte it locked before it throws (bits requested with the
 * lock stay set, and the hooks have seen the lock bits set and cleared).
 */
public interface ExtentHooks {
  /** Hooks that do nothing. */
  ExtentHooks NONE = new ExtentHooks() {};

  /**
   * Bits are about to be set on the state {@code [start, end]} which lacks at least one of them.
   *
   * @param start first offset of the state
   * @param end last offset of the state
   * @param oldBits the state's bits now
   * @param bits the bits requested, control bits included
   */
  default void onSet(long start, long end, int oldBits, int bits) {}

  /**
   * Bits are about to be cleared from the state {@code [start, end]} which has at least one of them.
   *
   * @param start first offset of the state
   * @param end last offset of the state
   * @param oldBits the state's bits now
   * @param bits the bits requested, control bits included
   */
  default void onClear(long start, long end, int oldBits, int bits) {}

  /**
   * The state {@code [otherStart, otherEnd]} is about to be merged into the adjacent state
   * {@code [start, end]}; both have {@code bits}.
   *
   * @param start first offset of the surviving state
   * @param end last offset of the surviving state
   * @param otherStart first offset of the absorbed state
   * @param otherEnd last offset of the absorbed state
   * @param bits the bits of both
   */
  default void onMerge(long start, long end, long otherStart, long otherEnd, int bits) {}

  /**
   * The state {@code [start, end]} is about to be split into {@code [start, splitAt - 1]} and
   * {@code [splitAt, end]}, both keeping {@code bits}.
   *
   * @param start first offset of the state
   * @param end last offset of the state
   * @param bits the state's bits
   * @param splitAt the first offset of the second part
   */
  default void onSplit(long start, long end, int bits, long splitAt) {}
}
