package io.github.slabkit.examples.snippets;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.extent.Extent;
import io.github.slabkit.extent.ExtentChangeset;
import io.github.slabkit.extent.ExtentHooks;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.extent.LockedRange;
import io.github.slabkit.extent.RangeResult;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Extent tree examples quoted by the documentation. */
public final class ExtentTreeExamples {
  private ExtentTreeExamples() {}

  /**
   * Dirties two ranges, writes the first contiguous delalloc run back.
   *
   * @return the states left: {@code [[8192, 12287] DELALLOC|DIRTY]}
   */
  public static List<Extent> writeback() {
    // @start region="writeback"
    // Its own slab cache of 48-byte states and a mempool with a reserve of 32 states, closed with the tree.
    try (ExtentTree io = ExtentTree.builder("inode-257").build()) {
      // A buffered write: lock the range, mark it delalloc and dirty, unlock (ranges are inclusive).
      io.lock(0, 4095);
      io.set(0, 4095, DELALLOC | DIRTY);
      io.unlock(0, 4095);
      io.lock(8192, 12287);
      io.set(8192, 12287, DELALLOC | DIRTY);
      io.unlock(8192, 12287);

      // Writeback: find delalloc, lock it, write it out, clear the bits, unlock.
      RangeResult found = new RangeResult(); // reusable result holder: queries allocate nothing
      if (io.findContiguous(0, DELALLOC, found)) { // [0, 4095]
        io.lock(found.start(), found.end());
        io.clear(found.start(), found.end(), DELALLOC | DIRTY);
        io.unlock(found.start(), found.end());
      }
      return io.states(); // [[8192, 12287] DELALLOC|DIRTY]
    }
    // @end
  }

  /**
   * Records what a clear changed, and accounts delalloc bytes with hooks.
   *
   * @return the bytes the clear changed and the delalloc bytes the hooks count after it: 8192 and 8192
   */
  public static long[] changesetAndHooks() {
    // @start region="hooks"
    AtomicLong delallocBytes = new AtomicLong(); // what btrfs keeps in inode->delalloc_bytes
    ExtentHooks accounting =
        new ExtentHooks() { // called under the tree lock, before each state changes
          @Override
          public void onSet(long start, long end, int oldBits, int bits) {
            if ((bits & DELALLOC) != 0 && (oldBits & DELALLOC) == 0) {
              delallocBytes.addAndGet(end - start + 1);
            }
          }

          @Override
          public void onClear(long start, long end, int oldBits, int bits) {
            if ((bits & DELALLOC) != 0 && (oldBits & DELALLOC) != 0) {
              delallocBytes.addAndGet(-(end - start + 1));
            }
          }
        };
    try (ExtentTree io = ExtentTree.builder("inode-258").hooks(accounting).build()) {
      io.set(0, 16383, DELALLOC);
      ExtentChangeset changed = new ExtentChangeset();
      io.clear(4096, 12287, DELALLOC, changed, null); // splits [0, 16383] around the cleared middle
      return new long[] {changed.bytesChanged(), delallocBytes.get()}; // {8192, 8192}
    }
    // @end
  }

  /**
   * Locks ranges with try-with-resources through one reused holder, so steady locking allocates nothing.
   *
   * @return the states after two locked writes: {@code [[0, 8191] DIRTY]}, nothing locked
   */
  public static List<Extent> lockedRange() {
    try (ExtentTree io = ExtentTree.builder("inode-261").build()) {
      // @start region="locked-range"
      LockedRange held = new LockedRange(); // one per thread, reused: locking allocates nothing
      for (long page = 0; page < 8192; page += 4096) {
        try (LockedRange r = io.lock(page, page + 4095, held)) {
          io.set(r.start(), r.end(), DIRTY); // the range is ours until close()
        } // close() unlocks it, even if the body throws
      }
      // @end
      return io.states();
    }
  }

  /**
   * A tree sharing a mempool and a budget with the rest of an application.
   *
   * @return the tree's reserve (its pool's minNr)
   */
  public static int sharedPool() {
    // @start region="shared-pool"
    MemoryBudget budget = MemoryBudget.ofBytes("fs", 1 << 20);
    try (SlabCache states = SlabCache.builder("extent_state").objectSize(ExtentTreeBuilder.STATE_SIZE)
            .budget(budget).build();
        Mempool pool = Mempool.builder("extent_state_pool", states).minNr(64).build();
        ExtentTree a = ExtentTree.builder("inode-259").pool(pool).build(); // the trees close neither
        ExtentTree b = ExtentTree.builder("inode-260").pool(pool).build()) {
      a.set(0, 4095, DIRTY);
      b.set(0, 4095, DIRTY);
      return pool.minNr();
    }
    // @end
  }
}
