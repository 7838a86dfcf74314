package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabStatistics;
import java.util.Locale;

/** The Slabkit part of {@link MemoryFootprint}: heap held per state, and off-heap bytes per state. */
final class ExtentFootprint {
  private ExtentFootprint() {}

  static void report(SlotRanges slots, int n, boolean btree) throws InterruptedException {
    long before = MemoryFootprint.settledHeap();
    try (ExtentFixture f = new ExtentFixture("footprint", btree)) {
      f.fillDirty(slots);
      long heap = MemoryFootprint.settledHeap() - before;
      long states = f.tree.stateCount();
      SlabStatistics st = f.slab.slabStatistics();
      long offHeap = st.totalSlabs() * st.slabBytes();
      String what = btree ? "Slabkit ExtentTree B+tree" : "Slabkit ExtentTree red-black";
      MemoryFootprint.report(what + " (heap)", n, heap);
      System.out.printf(
          Locale.ROOT,
          "%-40s off-heap %,10d B = %8.1f B/state (%d states; stride %d B, %d objects/slab of %d B;"
              + " %d in the mempool reserve; %d objects in use)%n",
          what + " (off-heap)",
          offHeap,
          (double) offHeap / states,
          states,
          st.stride(),
          st.objectsPerSlab(),
          st.slabBytes(),
          f.pool.reserveLevel(),
          st.activeObjects());
      // The fill above is in offset order (a B+tree's leaves stay full); the set+clear workload then moves
      // ranges at random, which splits leaves: report the off-heap figure after as many moves as ranges too.
      for (int i = 0; i < n; i++) {
        int a = slots.takeEmpty();
        f.tree.set(slots.start(a), slots.end(a), io.github.slabkit.extent.ExtentBits.DIRTY);
        int b = slots.takeOccupied();
        f.tree.clear(slots.start(b), slots.end(b), io.github.slabkit.extent.ExtentBits.DIRTY);
      }
      SlabStatistics churned = f.slab.slabStatistics();
      long offHeapChurned = churned.totalSlabs() * churned.slabBytes();
      System.out.printf(
          Locale.ROOT,
          "%-40s off-heap %,10d B = %8.1f B/state after %,d random set+clear (%d objects in use)%n",
          what + " (off-heap)",
          offHeapChurned,
          (double) offHeapChurned / f.tree.stateCount(),
          n,
          churned.activeObjects());
      f.tree.clear(0, SlotRanges.SPACE - 1, io.github.slabkit.extent.ExtentBits.DIRTY);
    }
  }
}
