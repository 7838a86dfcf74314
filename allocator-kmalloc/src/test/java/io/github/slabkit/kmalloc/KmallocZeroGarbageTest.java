package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The allocator paths allocate no heap memory: allocate, tryAllocate, free, memory, offset, reallocate in
 * place, and bulk allocation and free, over every class.
 */
class KmallocZeroGarbageTest {

  @Test
  void allocatorPathsAllocateNothingOnTheHeap() {
    try (Kmalloc k = Kmalloc.builder().throwOnLeak(true).build()) {
      long[] sizes = new long[4096];
      SplittableRandom rnd = new SplittableRandom(14);
      for (int i = 0; i < sizes.length; i++) {
        sizes[i] = 1 + rnd.nextInt(8192);
      }
      long[] bulk = new long[8];
      long[] sink = new long[1];
      Runnable loop =
          () -> {
            for (int i = 0; i < 20_000; i++) {
              long size = sizes[i & 4095];
              long h = k.allocate(size);
              k.memory(h).set(ValueLayout.JAVA_BYTE, k.offset(h), (byte) 1);
              h = k.reallocate(h, 1);
              long t = k.tryAllocate(size);
              sink[0] += h + t;
              k.free(h);
              k.free(t);
              k.allocateBulk(bulk, bulk.length, size);
              k.freeBulk(bulk, bulk.length);
            }
          };
      loop.run(); // warm up: thread caches, class initialisation, JIT
      long probe = Garbage.allocatedBytes();
      sink[0] += new long[1000].length;
      assertTrue(Garbage.allocatedBytes() - probe >= 8000, "the allocation counter must work");
      long before = Garbage.allocatedBytes();
      loop.run();
      long after = Garbage.allocatedBytes();
      assertTrue(after - before < 4096, "kmalloc hot paths allocated " + (after - before)
          + " bytes in 20000 iterations (the measurement itself costs a few hundred)");
      assertNotEquals(0, sink[0]);
      assertEquals(0, k.statistics().liveObjects());
    }
  }
}
