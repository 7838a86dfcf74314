package io.github.slabkit.extent;

import org.jspecify.annotations.Nullable;

/**
 * A range lock held through try-with-resources: {@link ExtentTree#lock(long, long, LockedRange)} fills
 * the holder and returns it, {@link #close()} unlocks the range. A holder is reusable, so a thread that
 * keeps one allocates nothing per lock. It remembers the locked state as a position hint, and the tree's
 * lock epoch at the grant (a count every removal of lock bits in the tree advances): while no lock bit was
 * cleared anywhere in the tree since, the unlock knows the range is still locked and skips the check that
 * {@link ExtentTree#unlock} makes. A holder whose range was unlocked by other means meanwhile is safe: the
 * epoch has moved, so its unlock checks the range and throws as an unlock of an unlocked range does.
 *
 * {@snippet class=io.github.slabkit.examples.snippets.ExtentTreeExamples region=locked-range}
 *
 * <p>Not thread safe: use one holder per thread at a time (the range itself may be unlocked by any thread
 * through {@link ExtentTree#unlock}, as range locks have no owner; the holder does not know then, and its
 * {@link #close()} throws as an unlock of an unlocked range does).
 */
// The snippets are external (the compiled, tested examples module), which Error Prone cannot see.
@SuppressWarnings("InvalidSnippet")
public final class LockedRange implements AutoCloseable {
  final CachedState hint = new CachedState();
  private @Nullable TreeLocks tree;
  private long start;
  private long end;
  private int bits;
  private long epoch = -1;

  /** Creates a holder that holds nothing. */
  public LockedRange() {}

  /**
   * Returns whether the holder holds a range.
   *
   * @return true between a successful lock and {@link #close()}
   */
  public boolean isLocked() {
    return tree != null;
  }

  /**
   * Returns the first offset of the range held (or last held).
   *
   * @return the start
   */
  public long start() {
    return start;
  }

  /**
   * Returns the last offset of the range held (or last held), inclusive.
   *
   * @return the end
   */
  public long end() {
    return end;
  }

  /**
   * Unlocks the range held; does nothing if the holder holds none (so a second close is harmless).
   *
   * @throws IllegalStateException if some byte of the range was unlocked by other means meanwhile
   */
  @Override
  public void close() {
    TreeLocks t = tree;
    if (t != null) {
      tree = null;
      t.unlock(start, end, bits, hint, epoch);
    }
  }

  @Override
  public String toString() {
    return tree == null ? "LockedRange[none]" : "LockedRange[" + tree.name() + " [" + start + ", " + end + "]]";
  }

  void checkFree() {
    if (tree != null) {
      throw new IllegalStateException(
          "this LockedRange still holds [" + start + ", " + end + "] of " + tree.name() + ": close it first");
    }
  }

  /** Fills the holder, under the tree lock of the grant. */
  void hold(TreeLocks tree, long start, long end, int bits, long epoch) {
    this.tree = tree;
    this.start = start;
    this.end = end;
    this.bits = bits;
    this.epoch = epoch;
  }
}
