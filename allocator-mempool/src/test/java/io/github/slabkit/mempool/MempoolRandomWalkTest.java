package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabDebug;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A random walk over every way into and out of a mempool over a small slab cache (single objects, bulk,
 * reservations, a context, resize, and double frees through each), in normal and debug mode: no object is
 * ever handed out while it is live, every double free is refused, and at the end every object is back.
 */
class MempoolRandomWalkTest {
  @Test
  void noObjectIsHandedOutTwiceAndEveryDoubleFreeIsRefused() {
    for (boolean debug : new boolean[] {false, true}) {
      walk(debug, 11);
      walk(debug, 12);
    }
  }

  private static void walk(boolean debug, long seed) {
    String what = (debug ? "debug " : "") + "seed " + seed;
    // a budget of a few slabs, so the reserve is used
    MemoryBudget budget = MemoryBudget.ofBytes("walk", 6 * 8 * 128);
    SlabCacheBuilderHolder h = new SlabCacheBuilderHolder();
    SlabCache slab = h.build(budget, debug);
    Mempool pool = Mempool.builder("walk-pool", slab).minNr(6).headroom(1).build();
    Random rnd = new Random(seed);
    Set<Long> live = new HashSet<>();
    List<Long> freed = new ArrayList<>();
    try (MempoolLocal local = pool.local()) {
      for (int step = 0; step < 4000; step++) {
        switch (rnd.nextInt(9)) {
          case 0 -> add(live, pool.tryAllocate(), what, step);
          case 1 -> add(live, local.tryAllocate(), what, step);
          case 2 -> {
            if (live.size() < 30) {
              long[] dst = new long[3];
              pool.allocateBulk(dst, 3);
              for (long x : dst) {
                add(live, x, what, step);
              }
            }
          }
          case 3 -> {
            if (live.size() < 30) {
              try (Reservation r = Reservation.of(pool, 2).acquire()) {
                add(live, r.take(pool), what, step);
              }
            }
          }
          case 4, 5 -> {
            if (!live.isEmpty()) {
              long x = live.iterator().next();
              live.remove(x);
              if (rnd.nextBoolean()) {
                pool.free(x);
              } else {
                local.free(x);
              }
              freed.add(x);
            }
          }
          case 6 -> {
            if (!freed.isEmpty()) {
              long x = freed.get(rnd.nextInt(freed.size()));
              if (!live.contains(x)) {
                long reserve = pool.reserveLevel();
                assertThrows(InvalidHandleException.class,
                    () -> {
                      if (rnd.nextBoolean()) {
                        pool.free(x);
                      } else {
                        local.free(x);
                      }
                    },
                    what + " step " + step + ": a double free must be refused");
                assertEquals(reserve, pool.reserveLevel(), what + ": a refused free changes nothing");
              }
            }
          }
          case 7 -> pool.resize(4 + rnd.nextInt(6));
          default -> {
            if (live.size() < 30) {
              add(live, pool.allocate(), what, step);
            }
          }
        }
        if (freed.size() > 200) {
          freed.subList(0, 100).clear();
        }
      }
      for (long x : live) {
        pool.free(x);
      }
    }
    assertDoesNotThrow(pool::close, what);
    assertEquals(0, slab.slabStatistics().activeObjects(), what);
    assertDoesNotThrow(slab::close, what);
    assertEquals(0, budget.used(), what);
  }

  private static void add(Set<Long> live, long h, String what, int step) {
    if (h != 0) {
      assertTrue(live.add(h), what + " step " + step + ": object 0x" + Long.toHexString(h) + " handed out twice");
    }
  }

  /** Builds the backing cache. */
  private static final class SlabCacheBuilderHolder {
    SlabCache build(MemoryBudget budget, boolean debug) {
      var b = SlabCache.builder("walk").objectSize(64).objectsPerSlab(8).magazineSize(4).budget(budget)
          .throwOnLeak(true);
      if (debug) {
        b.debug(SlabDebug.of("FZP"));
      }
      return b.build();
    }
  }
}
