package io.github.slabkit.jcstress.extent;

import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.slab.SlabCache;

/**
 * Extent trees for the tests. All trees take their states from one shared slab cache (thread safe, so
 * sharing it does not change what a test checks), so a state costs no slab of its own; a test's arbiter
 * empties its tree, which frees the tree's states back to the cache.
 */
final class Trees {
  private static final SlabCache STATES =
      SlabCache.builder("jcstress-extent-states").objectSize(ExtentTreeBuilder.STATE_SIZE).build();

  private Trees() {}

  static ExtentTree newTree(String name) {
    return ExtentTree.builder(name).allocator(STATES).build();
  }
}
