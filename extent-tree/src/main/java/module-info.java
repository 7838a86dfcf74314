/**
 * An off-heap port of the btrfs {@code extent_io_tree}: inclusive byte ranges carrying bit flags and
 * exclusive range locks, with every extent state in a slab cache and every operation preallocating its
 * states through a mempool before it takes the tree lock. Start at {@link io.github.slabkit.extent.ExtentTree}.
 */
@org.jspecify.annotations.NullMarked
module io.github.slabkit.extent {
  requires transitive io.github.slabkit.allocator;
  requires transitive io.github.slabkit.slab;
  requires transitive io.github.slabkit.mempool;

  exports io.github.slabkit.extent;
}
