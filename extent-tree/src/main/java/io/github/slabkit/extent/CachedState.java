package io.github.slabkit.extent;

import org.jspecify.annotations.Nullable;

/**
 * A position hint for sequential work, btrfs's {@code cached_state}: an operation given one starts from
 * the state it remembers instead of searching from the root, and leaves in it the last state it touched.
 *
 * <p>Always safe: the hint is used only while it is provably still a state of the same tree (no state of
 * that tree has been removed since it was recorded) and only if that state contains the operation's start
 * offset or ends right before it; otherwise the operation searches as if no hint were given. Reusable and
 * allocation-free. Not thread safe: use one per thread.
 */
public final class CachedState {
  @Nullable Object owner;
  long handle;
  long epoch;

  /** Creates an empty hint. */
  public CachedState() {}

  /** Forgets the remembered state. */
  public void reset() {
    owner = null;
    handle = 0;
  }

  /**
   * Returns whether a state is remembered (it may be stale).
   *
   * @return true if set
   */
  public boolean isSet() {
    return owner != null;
  }
}
