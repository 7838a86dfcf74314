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
      f.tree.clear(0, SlotRanges.SPACE - 1, io.github.slabkit.extent.ExtentBits.DIRTY);
    }
  }
}
