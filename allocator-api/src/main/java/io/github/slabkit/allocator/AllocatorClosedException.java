package io.github.slabkit.allocator;

import java.io.Serial;

/** Thrown when an allocator, pool, sheaf, reservation or extent tree is used after {@code close()}. */
public class AllocatorClosedException extends IllegalStateException {
  @Serial private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param name the closed object's name
   * @param operation the operation that was attempted
   */
  public AllocatorClosedException(String name, String operation) {
    this(name, operation, "the allocator is closed and its memory released");
  }

  /**
   * Creates the exception for a closed object that is not an allocator (an extent tree, say).
   *
   * @param name the closed object's name
   * @param operation the operation that was attempted
   * @param state what the close did, for the message (e.g. {@code "the tree is closed and its states
   *     freed"})
   */
  public AllocatorClosedException(String name, String operation, String state) {
    super(name + ": " + operation + " after close(); " + state);
  }
}
