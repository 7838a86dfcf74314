package io.github.slabkit.extent.internal;

import io.github.slabkit.extent.ExtentHooks;
import org.jspecify.annotations.Nullable;

/**
 * The user's hooks as the states see them: each call is made inside a try, and what a hook throws is
 * kept instead of unwinding the step that called it. Hooks run in the middle of a step, before the state
 * changes, often after the step took the object it is about to link; an exception from there would leave
 * that object lost, two equal neighbours unmerged, or a lock's prefix locked with no one to unlock it. So
 * the step completes, and the operation throws the kept exception at its next consistent point, before it
 * waits or when it returns ({@link #rethrow()}); a lock first gives back what it locked.
 *
 * <p>Called under the tree lock, like the hooks; the kept exception belongs to the operation that holds
 * it, which rethrows or forgets it before it releases the lock.
 */
public final class HookGuard implements ExtentHooks {
  private final ExtentHooks hooks;
  private @Nullable Throwable failure;

  /**
   * Guards {@code hooks}.
   *
   * @param hooks the user's hooks
   */
  public HookGuard(ExtentHooks hooks) {
    this.hooks = hooks;
  }

  @Override
  public void onSet(long start, long end, int oldBits, int bits) {
    try {
      hooks.onSet(start, end, oldBits, bits);
    } catch (RuntimeException | Error e) {
      keep(e);
    }
  }

  @Override
  public void onClear(long start, long end, int oldBits, int bits) {
    try {
      hooks.onClear(start, end, oldBits, bits);
    } catch (RuntimeException | Error e) {
      keep(e);
    }
  }

  @Override
  public void onMerge(long start, long end, long otherStart, long otherEnd, int bits) {
    try {
      hooks.onMerge(start, end, otherStart, otherEnd, bits);
    } catch (RuntimeException | Error e) {
      keep(e);
    }
  }

  @Override
  public void onSplit(long start, long end, int bits, long splitAt) {
    try {
      hooks.onSplit(start, end, bits, splitAt);
    } catch (RuntimeException | Error e) {
      keep(e);
    }
  }

  @SuppressWarnings("ReferenceEquality") // the same exception thrown twice must not suppress itself
  private void keep(Throwable e) {
    Throwable f = failure;
    if (f == null) {
      failure = e;
    } else if (f != e) {
      f.addSuppressed(e);
    }
  }

  /**
   * Returns whether a hook threw since the last {@link #rethrow()} or {@link #forget()}.
   *
   * @return true if one threw
   */
  public boolean failed() {
    return failure != null;
  }

  /** Throws what the hooks threw (the first exception, later ones suppressed in it), if they threw. */
  public void rethrow() {
    Throwable f = failure;
    if (f != null) {
      failure = null;
      if (f instanceof Error e) {
        throw e;
      }
      throw (RuntimeException) f;
    }
  }

  /** Forgets what the hooks threw: the operation ends with another exception. */
  public void forget() {
    failure = null;
  }
}
