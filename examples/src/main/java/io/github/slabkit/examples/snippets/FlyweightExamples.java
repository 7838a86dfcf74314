package io.github.slabkit.examples.snippets;

import io.github.slabkit.allocator.Flyweight;
import io.github.slabkit.allocator.IntField;
import io.github.slabkit.allocator.LongField;
import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** Flyweight examples quoted by the documentation. */
public final class FlyweightExamples {
  private FlyweightExamples() {}

  // @start region="flyweight-fields"
  // The object's layout, and one descriptor per field, made once.
  static final StructLayout EXTENT =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_LONG.withName("start"),
          ValueLayout.JAVA_LONG.withName("end"),
          ValueLayout.JAVA_INT.withName("bits"),
          MemoryLayout.paddingLayout(4));
  static final LongField START = LongField.of(EXTENT, "start");
  static final LongField END = LongField.of(EXTENT, "end");
  static final IntField BITS = IntField.of(EXTENT, "bits");
  // @end

  /**
   * Writes 100 extents through one reusable view and sums their lengths through it.
   *
   * @return the sum of the lengths (100 * 4096)
   */
  public static long flyweight() {
    // @start region="flyweight"
    SlabCache extents = SlabCache.builder("extents").layout(EXTENT).build();
    Flyweight extent = new Flyweight(EXTENT, extents); // one view, reused for every object
    long[] handles = new long[100];
    for (int i = 0; i < handles.length; i++) {
      handles[i] = extents.allocate();
      extent.wrap(handles[i]); // no allocation: the view now points at this object
      START.set(extent, i * 4096L);
      END.set(extent, i * 4096L + 4095);
      BITS.set(extent, 0x1);
    }
    long bytes = 0;
    for (long h : handles) {
      extent.wrap(h);
      bytes += END.get(extent) - START.get(extent) + 1; // each access: one VarHandle access
    }
    extents.freeBulk(handles, handles.length);
    extents.close();
    // @end
    return bytes;
  }
}
