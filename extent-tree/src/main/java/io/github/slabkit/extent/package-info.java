/**
 * The extent tree: inclusive {@code long} byte ranges with {@link io.github.slabkit.extent.ExtentBits bit
 * flags} and exclusive range locks, ported from the btrfs {@code extent_io_tree}, with every extent state
 * off-heap in a slab cache and allocated through a mempool.
 *
 * <p>Entry point: {@link io.github.slabkit.extent.ExtentTree#builder(String)}. Zero-garbage use: reuse a
 * {@link io.github.slabkit.extent.RangeResult} for queries, an {@link io.github.slabkit.extent.ExtentChangeset}
 * for changes, a {@link io.github.slabkit.extent.CachedState} for sequential work, and
 * {@link io.github.slabkit.extent.ExtentTree#forEach} with an {@link io.github.slabkit.extent.ExtentVisitor}
 * for iteration.
 *
 * {@snippet :
 * try (ExtentTree tree = ExtentTree.builder("inode-42").budget(budget).build()) {
 *   tree.lock(0, 65_535);                                   // exclusive range lock
 *   tree.set(0, 65_535, ExtentBits.DELALLOC | ExtentBits.DIRTY);
 *   tree.unlock(0, 65_535);
 *   RangeResult r = new RangeResult();
 *   while (tree.findFirst(0, ExtentBits.DIRTY, r)) {          // a flusher
 *     tree.clear(r.start(), r.end(), ExtentBits.DIRTY | ExtentBits.DELALLOC);
 *   }
 * }
 * }
 */
package io.github.slabkit.extent;
