package io.github.slabkit.allocator;

import java.io.Serial;

/** Thrown when an allocator, pool, sheaf or reservation is used after {@code close()}. */
public class AllocatorClosedException extends IllegalStateException {
  @Serial private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param name the closed object's name
   * @param operation the operation that was attempted
   */
  public AllocatorClosedException(String name, String operation) {
    super(name + ": " + operation + " after close(); the allocator is closed and its memory released");
  }
}
