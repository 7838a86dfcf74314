package io.github.slabkit.kmalloc;

/** How the size classes of a {@link Kmalloc} are spaced. */
public enum SizeClassScheme {
  /**
   * The Linux kernel's kmalloc classes: powers of two from 8 B, plus 96 and 192 (kmalloc-8 ... kmalloc-8k).
   * At most half of a request is wasted; a request just above a power of two wastes almost half of its class.
   */
  KERNEL,

  /**
   * Four classes per doubling above 128 B (8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, ...),
   * spaced as jemalloc's and Netty's. At most a quarter of the class below is wasted; more caches, each with
   * its own magazines and partly filled slabs.
   */
  QUARTER
}
