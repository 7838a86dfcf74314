package com.example.slabkit.consumer;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabInfo;
import java.util.List;

/** Uses every published artifact once and exits non-zero if anything is off. */
public final class Main {
  private Main() {}

  /**
   * Runs the check.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    MemoryBudget budget = MemoryBudget.ofBytes("consumer", 1 << 20);
    try (SlabCache states =
            SlabCache.builder("extent_state").objectSize(ExtentTreeBuilder.STATE_SIZE).budget(budget).build();
        Mempool pool = Mempool.builder("extent_state_pool", states).minNr(16).build();
        SlabCache bufferCache = SlabCache.builder("buffer").objectSize(256).budget(budget).build();
        Mempool buffers = Mempool.builder("buffer_pool", bufferCache).minNr(2).build()) {
      long dirty;
      try (ExtentTree tree = ExtentTree.builder("file").pool(pool).build()) {
        tree.lock(0, 65535);
        tree.set(0, 65535, ExtentBits.DELALLOC | ExtentBits.DIRTY);
        tree.unlock(0, 65535);
        try (Reservation r = Reservation.of(pool, 2).and(buffers, 1).acquire()) {
          long b = r.take(buffers);
          buffers.segment(b).fill((byte) 1);
          buffers.free(b);
        }
        dirty = tree.countBytes(0, Long.MAX_VALUE, Long.MAX_VALUE, ExtentBits.DIRTY, false);
        tree.clear(0, 65535, ExtentBits.DELALLOC | ExtentBits.DIRTY);
      }
      System.out.print(SlabInfo.render(List.of(states, bufferCache)));
      if (dirty != 65536 || pool.mempoolStatistics().liveObjects() != 0) {
        System.out.println("bom-consumer: FAILED: dirty bytes " + dirty + ", live " + pool.mempoolStatistics());
        System.exit(1);
      }
      System.out.println("bom-consumer: ok: slabkit-bom resolved api, slab, mempool and extent-tree; 64 KiB dirtied"
          + " and cleaned through a mempool-backed extent tree");
    }
  }
}
