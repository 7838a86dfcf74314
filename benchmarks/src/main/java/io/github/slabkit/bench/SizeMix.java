package io.github.slabkit.bench;

import java.util.SplittableRandom;

/**
 * The request sizes of the kmalloc benchmarks (issue 14): "random sizes from 16 B to 4 KiB, uniform over the
 * classes". A kernel class from kmalloc-16 to kmalloc-4k is picked uniformly (11 classes), then a size
 * uniformly among the requests that class serves (one more than the class below, up to the class size), so
 * every class gets the same share of requests and requests fall anywhere inside a class. Fixed seed.
 */
final class SizeMix {
  /** The kernel classes from 16 B to 4 KiB, and the class below the first (8 B). */
  private static final int[] CLASSES = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};

  /** Number of precomputed sizes; a power of two. */
  static final int COUNT = 4096;

  private SizeMix() {}

  /**
   * Returns {@link #COUNT} sizes from the distribution.
   *
   * @param seed the random seed
   * @return the sizes
   */
  static int[] sizes(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] sizes = new int[COUNT];
    for (int i = 0; i < COUNT; i++) {
      int c = 1 + rnd.nextInt(CLASSES.length - 1);
      sizes[i] = CLASSES[c - 1] + 1 + rnd.nextInt(CLASSES[c] - CLASSES[c - 1]);
    }
    return sizes;
  }
}
