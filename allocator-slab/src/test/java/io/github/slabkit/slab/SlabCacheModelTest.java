package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A seeded randomized test against a simple reference model (a map of live handles to the value written in
 * them): allocate, free, bulk allocate and free, sheaves, shrink, interleaved. After every step no handle is
 * live twice, every live object still holds its value, and the statistics agree with the model.
 */
class SlabCacheModelTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 0xC0FFEE})
  void randomOperationsAgreeWithTheModel(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int perSlab = 1 + rnd.nextInt(40);
    int magazine = 1 + rnd.nextInt(16);
    try (SlabCache cache =
        SlabCache.builder("model")
            .objectSize(8 + rnd.nextInt(64))
            .objectsPerSlab(perSlab)
            .magazineSize(magazine)
            .maxEmptySlabs(rnd.nextInt(3))
            .throwOnLeak(true)
            .build()) {
      Map<Long, Long> model = new HashMap<>();
      List<Long> live = new ArrayList<>();
      long allocations = 0;
      long frees = 0;
      for (int step = 0; step < 6_000; step++) {
        int op = rnd.nextInt(100);
        if (op < 40 || live.isEmpty()) {
          long h = cache.allocate();
          put(cache, model, live, h, rnd.nextLong(), step);
          allocations++;
        } else if (op < 75) {
          int i = rnd.nextInt(live.size());
          long h = removeAt(live, i);
          check(cache, model, h, step);
          model.remove(h);
          cache.free(h);
          frees++;
        } else if (op < 83) {
          int n = rnd.nextInt(3 * perSlab + 1);
          long[] dst = new long[n + rnd.nextInt(3)];
          cache.allocateBulk(dst, n);
          for (int i = 0; i < n; i++) {
            put(cache, model, live, dst[i], rnd.nextLong(), step);
          }
          allocations += n;
        } else if (op < 90) {
          int n = Math.min(live.size(), rnd.nextInt(2 * perSlab + 1));
          long[] src = new long[n];
          for (int i = 0; i < n; i++) {
            src[i] = removeAt(live, rnd.nextInt(live.size()));
            check(cache, model, src[i], step);
            model.remove(src[i]);
          }
          cache.freeBulk(src, n);
          frees += n;
        } else if (op < 96) {
          int n = 1 + rnd.nextInt(2 * perSlab);
          try (Sheaf sheaf = cache.prefill(n)) {
            int take = rnd.nextInt(n + 1);
            for (int i = 0; i < take; i++) {
              put(cache, model, live, sheaf.allocate(), rnd.nextLong(), step);
            }
            // the sheaf allocated n up front; closing it frees what was not taken
            allocations += n;
            frees += n - take;
            assertEquals(n - take, sheaf.remaining());
          }
        } else {
          cache.shrink();
          SlabStatistics s = cache.slabStatistics();
          assertEquals(0, s.emptySlabs(), "shrink() must release every empty slab");
          assertEquals(0, s.cachedObjects(), "shrink() on the only thread must flush its magazines");
        }
        SlabStatistics s = cache.slabStatistics();
        assertEquals(model.size(), s.activeObjects(), "live objects disagree with the model at step " + step);
        assertEquals(allocations, s.allocations(), "allocation count at step " + step);
        assertEquals(frees, s.frees(), "free count at step " + step);
        assertTrue(s.activeObjects() + s.cachedObjects() <= s.totalObjects(), "more objects out than exist");
        assertEquals(s.totalSlabs() * perSlab, s.totalObjects());
        assertEquals(s.totalSlabs() * s.slabBytes(), s.bytesCharged());
        assertEquals(0, s.doubleFrees());
      }
      for (long h : live) {
        check(cache, model, h, -1);
        cache.free(h);
      }
      cache.shrink();
      SlabStatistics s = cache.slabStatistics();
      assertEquals(0, s.activeObjects());
      assertEquals(0, s.totalSlabs(), "every slab must be released once all objects are free");
      assertEquals(s.slabGrows(), s.slabReleases());
    }
  }

  private static void put(SlabCache cache, Map<Long, Long> model, List<Long> live, long h, long v, int step) {
    if (model.putIfAbsent(h, v) != null) {
      throw new AssertionError("handle 0x" + Long.toHexString(h) + " handed out twice at step " + step);
    }
    live.add(h);
    cache.memory(h).set(ValueLayout.JAVA_LONG_UNALIGNED, cache.offset(h), v);
  }

  private static void check(SlabCache cache, Map<Long, Long> model, long h, int step) {
    long v = cache.memory(h).get(ValueLayout.JAVA_LONG_UNALIGNED, cache.offset(h));
    assertEquals((long) model.get(h), v, "live object overwritten, step " + step);
  }

  private static long removeAt(List<Long> list, int i) {
    long h = list.get(i);
    int last = list.size() - 1;
    list.set(i, list.get(last));
    list.remove(last);
    return h;
  }
}
