package io.github.slabkit.examples.snippets;

import io.github.slabkit.slab.Sheaf;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabInfo;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

/** Slab cache examples quoted by the documentation. */
public final class SlabCacheExamples {
  private SlabCacheExamples() {}

  // @start region="layout"
  // An off-heap record: 8 + 8 + 4 bytes, padded to 24.
  static final MemoryLayout NODE =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_LONG.withName("start"),
          ValueLayout.JAVA_LONG.withName("end"),
          ValueLayout.JAVA_INT.withName("bits"),
          MemoryLayout.paddingLayout(4));
  // Layout VarHandles take (MemorySegment, long baseOffset): no allocation per access.
  static final VarHandle START = NODE.varHandle(MemoryLayout.PathElement.groupElement("start"));
  static final VarHandle BITS = NODE.varHandle(MemoryLayout.PathElement.groupElement("bits"));
  // @end

  /**
   * Allocates an object, writes and reads it through a layout VarHandle, frees it.
   *
   * @return the value read back (4096)
   */
  public static long basic() {
    // @start region="basic"
    try (SlabCache nodes = SlabCache.builder("nodes").layout(NODE).build()) {
      long h = nodes.allocate(); // an opaque handle, never 0
      START.set(nodes.memory(h), nodes.offset(h), 4096L); // zero-garbage access
      BITS.set(nodes.memory(h), nodes.offset(h), 0x11);
      long start = (long) START.get(nodes.memory(h), nodes.offset(h));
      nodes.free(h); // O(1), from any thread
      return start;
    }
    // @end
  }

  /**
   * The README's quick start, verbatim.
   *
   * @return the slabinfo text it prints
   */
  public static String readmeQuickStart() {
    StringBuilder printed = new StringBuilder();
    // @start region="quick-start"
    VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    try (SlabCache cache = SlabCache.builder("nodes").objectSize(64).build()) {
      long h = cache.allocate();                       // an opaque handle, never 0
      LONG.set(cache.memory(h), cache.offset(h), 42L); // zero-garbage access
      cache.free(h);                                   // O(1), on any thread
      printed.append(SlabInfo.render(List.of(cache)));
    }
    // @end
    return printed.toString();
  }

  /**
   * Allocates and frees a batch, all or nothing.
   *
   * @return the number of objects allocated at once (64)
   */
  public static int bulk() {
    // @start region="bulk"
    try (SlabCache nodes = SlabCache.builder("nodes").objectSize(24).build()) {
      long[] batch = new long[64];
      nodes.allocateBulk(batch, 64); // all 64 or an exception; tryAllocateBulk returns false instead
      for (long h : batch) {
        nodes.segment(h).fill((byte) 0); // a bounds-checked view, convenient off the hot path
      }
      nodes.freeBulk(batch, 64);
      return batch.length;
    }
    // @end
  }

  /**
   * Prefills a sheaf and draws from it.
   *
   * @return the objects left in the sheaf after three allocations (1)
   */
  public static int sheaf() {
    try (SlabCache nodes = SlabCache.builder("nodes").objectSize(24).build()) {
      // @start region="sheaf"
      // An operation that needs up to 4 objects gets them before it starts: it cannot fail halfway.
      try (Sheaf sheaf = nodes.prefill(4)) { // blocking; tryPrefill(4) returns null instead
        long a = sheaf.allocate(); // never fails while sheaf.remaining() > 0
        long b = sheaf.allocate();
        long c = sheaf.allocate();
        int left = sheaf.remaining();
        nodes.free(a);
        nodes.free(b);
        nodes.free(c);
        return left; // close() returns the unused object to the cache
      }
      // @end
    }
  }

  /**
   * Renders slabinfo for a cache.
   *
   * @return the table
   */
  public static String slabinfo() {
    try (SlabCache nodes = SlabCache.builder("nodes").objectSize(24).build()) {
      long h = nodes.allocate();
      // @start region="slabinfo"
      String table = SlabInfo.render(List.of(nodes)); // /proc/slabinfo 2.1 format, plus Slabkit counters
      long live = nodes.slabStatistics().activeObjects();
      // @end
      nodes.free(h);
      return table + "live=" + live;
    }
  }
}
