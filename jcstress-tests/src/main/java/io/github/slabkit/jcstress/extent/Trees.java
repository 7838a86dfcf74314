package io.github.slabkit.jcstress.extent;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;

/**
 * Extent trees for the tests, each on a tiny budget so that the exhaustion paths run under the race: its
 * own slab cache of one slab of {@value #STATES} states (the whole budget) and a mempool with a reserve of
 * 2 of them, 1 of which is headroom for the reclaiming operations. After the first two states the slab
 * cache refuses, every further state comes from the reserve, ordinary operations stop one state short of
 * draining it, and the tree's operations meet {@code tryAllocate} failures. Every test needs at most three
 * states for its ordinary operations, so none can wait forever. The tests recycle their trees (a tree owns
 * a slab, which is costly to create per sample), each arbiter emptying its tree first.
 */
final class Trees {
  static final int STATES = 4;
  private static final long SLAB_BYTES;

  static {
    SlabCache probe = SlabCache.builder("probe").objectSize(ExtentTreeBuilder.STATE_SIZE).objectsPerSlab(STATES).build();
    SLAB_BYTES = probe.slabStatistics().slabBytes();
    probe.close();
  }

  private Trees() {}

  static ExtentTree newTree(String name) {
    SlabCache states = SlabCache.builder(name + "-states").objectSize(ExtentTreeBuilder.STATE_SIZE)
        .objectsPerSlab(STATES).budget(MemoryBudget.ofBytes(name, SLAB_BYTES)).maxWait(Duration.ZERO).build();
    Mempool pool = Mempool.builder(name + "-pool", states).minNr(2).headroom(1).build();
    return ExtentTree.builder(name).pool(pool).build();
  }
}
