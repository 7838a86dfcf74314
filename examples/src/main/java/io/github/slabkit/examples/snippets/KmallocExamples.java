package io.github.slabkit.examples.snippets;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.kmalloc.Kmalloc;
import io.github.slabkit.mempool.Mempool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/** kmalloc examples quoted by the documentation. */
public final class KmallocExamples {
  private KmallocExamples() {}

  /**
   * Allocates three sizes, writes through the zero-garbage path, grows one in place, frees them.
   *
   * @return the usable sizes of the three objects and the value read back, e.g. {@code "16 96 12288 42"}
   */
  public static String basic() {
    // @start region="basic"
    VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    try (Kmalloc kmalloc = Kmalloc.builder().budget(MemoryBudget.ofBytes("app", 64 << 20)).build()) {
      long key = kmalloc.allocate(12);       // served by kmalloc-16
      long value = kmalloc.allocate(80);     // kmalloc-96
      long page = kmalloc.allocate(10_000);  // above kmalloc-8k: its own 3 pages
      LONG.set(kmalloc.memory(value), kmalloc.offset(value), 42L); // zero-garbage access
      value = kmalloc.reallocate(value, 90); // krealloc: still fits kmalloc-96, same handle
      String result = kmalloc.usableSize(key) + " " + kmalloc.usableSize(value) + " "
          + kmalloc.usableSize(page) + " " + (long) LONG.get(kmalloc.memory(value), kmalloc.offset(value));
      kmalloc.free(key);
      kmalloc.free(value);
      kmalloc.free(page);
      return result;
    }
    // @end
  }

  /**
   * Code written against {@link Arena} (jextract bindings, for one) gets pooled memory unchanged.
   *
   * @return the sum of the ints written through the arena (6)
   */
  public static int arena() {
    try (Kmalloc kmalloc = Kmalloc.builder().build()) {
      // @start region="arena"
      int sum = 0;
      try (Arena arena = kmalloc.newArena()) {          // confined to this thread, like Arena.ofConfined()
        MemorySegment ints = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3); // from kmalloc-16
        for (int i = 0; i < 3; i++) {
          sum += ints.getAtIndex(ValueLayout.JAVA_INT, i);
        }
      }                                                 // frees every segment; they are inaccessible now
      // @end
      return sum;
    }
  }

  /**
   * A mempool over a size class, the kernel's {@code mempool_create_kmalloc_pool}.
   *
   * @return the usable size of a pool object (256)
   */
  public static long mempool() {
    try (Kmalloc kmalloc = Kmalloc.builder().build()) {
      // @start region="mempool"
      try (Mempool buffers = Mempool.builder("buffers", kmalloc.sizeClass(200)).minNr(16).build()) {
        long b = buffers.allocate();           // never fails: 16 are held in reserve
        long usable = kmalloc.usableSize(b);   // a kmalloc handle: 256 B from kmalloc-256
        buffers.free(b);
        return usable;
      }
      // @end
    }
  }
}
