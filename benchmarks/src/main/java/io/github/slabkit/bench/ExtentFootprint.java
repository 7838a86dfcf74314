package io.github.slabkit.bench;

/** Placeholder until the extent tree is installed: the Slabkit part of {@link MemoryFootprint}. */
final class ExtentFootprint {
  private ExtentFootprint() {}

  static void report(SlotRanges slots, int n) {
    System.out.println("Slabkit ExtentTree: not built into this jar yet (" + slots.slots() + " slots, " + n + ")");
  }
}
