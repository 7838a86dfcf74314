/**
 * Slabkit's shared allocator contracts: opaque {@code long} handles, the blocking vocabulary of
 * {@link io.github.slabkit.allocator.ObjectAllocator}, the shared
 * {@link io.github.slabkit.allocator.MemoryBudget} with its shrinkers, the exception types and the
 * statistics snapshot.
 */
@org.jspecify.annotations.NullMarked
module io.github.slabkit.allocator {
  requires transitive org.jspecify;

  exports io.github.slabkit.allocator;
}
