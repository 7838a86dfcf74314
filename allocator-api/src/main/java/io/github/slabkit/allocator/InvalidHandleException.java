package io.github.slabkit.allocator;

import java.io.Serial;

/**
 * Thrown when a handle passed to an allocator is not one it can accept: {@code 0}, a handle of another
 * allocator, a handle already freed (where detected), or a handle out of an allocator's range. The allocator
 * is left unchanged.
 */
public class InvalidHandleException extends IllegalArgumentException {
  @Serial private static final long serialVersionUID = 1L;

  private final long handle;

  /**
   * Creates the exception.
   *
   * @param allocatorName the allocator that refused the handle
   * @param handle the handle
   * @param what what is wrong with it and what to do
   */
  public InvalidHandleException(String allocatorName, long handle, String what) {
    super(allocatorName + ": handle 0x" + Long.toHexString(handle) + " " + what);
    this.handle = handle;
  }

  /**
   * Returns the refused handle.
   *
   * @return the handle
   */
  public long handle() {
    return handle;
  }
}
