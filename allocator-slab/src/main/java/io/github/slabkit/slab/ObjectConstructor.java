package io.github.slabkit.slab;

import java.lang.foreign.MemorySegment;

/**
 * Initialises an object once, when the slab that holds it is created (the kernel's {@code ctor}). Users
 * return objects to the cache in constructed state, so allocation does not run it again.
 */
@FunctionalInterface
public interface ObjectConstructor {
  /**
   * Puts a fresh object into its constructed state.
   *
   * @param object exactly the object's bytes (zeroed before the call)
   */
  void construct(MemorySegment object);
}
