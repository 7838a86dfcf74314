package io.github.slabkit.bench;

import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;

/**
 * A Slabkit extent tree as issue 4 wires it: states in a slab cache, allocated through a mempool, the tree
 * reading state memory straight from the slab cache.
 */
final class ExtentFixture implements AutoCloseable {
  static final int POOL_MIN_NR = 64;

  final SlabCache slab;
  final Mempool pool;
  final ExtentTree tree;

  ExtentFixture(String name) {
    this(name, false);
  }

  /**
   * A tree of either structure: the red-black tree of 48-byte states, or ({@code btree}) the B+tree of
   * {@link ExtentTreeBuilder#NODE_SIZE}-byte nodes, each from its own slab cache through a mempool.
   */
  ExtentFixture(String name, boolean btree) {
    if (btree) {
      slab = SlabCache.builder(name + "-nodes").objectSize(ExtentTreeBuilder.NODE_SIZE).alignment(64).build();
      pool = Mempool.builder(name + "-pool", slab).minNr(POOL_MIN_NR).build();
      tree = ExtentTree.builder(name).allocator(pool, slab).bTree().build();
    } else {
      slab = SlabCache.builder(name + "-states").objectSize(ExtentTreeBuilder.STATE_SIZE).build();
      pool = Mempool.builder(name + "-pool", slab).minNr(POOL_MIN_NR).build();
      tree = ExtentTree.builder(name).allocator(pool, slab).build();
    }
  }

  /** Whether a {@code structure} parameter names the B+tree. */
  static boolean btree(String structure) {
    return switch (structure) {
      case "btree" -> true;
      case "rbtree" -> false;
      default -> throw new IllegalArgumentException("structure " + structure + ": btree or rbtree");
    };
  }

  /** Sets DIRTY on every occupied slot's range. */
  ExtentFixture fillDirty(SlotRanges slots) {
    for (int i = 0; i < slots.slots(); i++) {
      if (slots.isOccupied(i)) {
        tree.set(slots.start(i), slots.end(i), ExtentBits.DIRTY);
      }
    }
    return this;
  }

  @Override
  public void close() {
    tree.close();
    pool.close();
    slab.close();
  }
}
