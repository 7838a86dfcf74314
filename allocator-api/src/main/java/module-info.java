/**
 * Slabkit's shared allocator contracts: opaque {@code long} handles, the blocking vocabulary of
 * {@link io.github.slabkit.allocator.ObjectAllocator}, the shared
 * {@link io.github.slabkit.allocator.MemoryBudget} with its shrinkers, the exception types and the
 * statistics snapshot.
 */
@org.jspecify.annotations.NullMarked
@SuppressWarnings("module") // the modules of the qualified export are built after this one
module io.github.slabkit.allocator {
  requires transitive org.jspecify;

  exports io.github.slabkit.allocator;
  // Implementation shared by the library's modules; not API.
  exports io.github.slabkit.allocator.internal to
      io.github.slabkit.slab,
      io.github.slabkit.mempool;
}
