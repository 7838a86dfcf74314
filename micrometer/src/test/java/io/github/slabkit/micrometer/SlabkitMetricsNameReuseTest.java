package io.github.slabkit.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The binder with caches and pools closed while bound and replaced by new ones of the same name. A registry
 * identifies meters by name and tags, so a new pool registered while a closed one of its name still had
 * meters got the closed one's meters (reading the closed pool), and removing the closed pool then removed
 * the new one's meters for good (both found by an outside-style probe).
 */
class SlabkitMetricsNameReuseTest {
  private static double gauge(SimpleMeterRegistry r, String name, String tag, String value) {
    Gauge g = r.find(name).tag(tag, value).gauge();
    assertNotNull(g, name + " " + tag + "=" + value + " is missing");
    return g.value();
  }

  /**
   * A pool is closed while bound (the docs allow leaving its meters), and a new open pool of the same name
   * is added: the only open pool of that name must be what the meters show.
   */
  @Test
  void aNewPoolOfAClosedPoolsNameGetsItsOwnMeters() {
    SlabRegistry caches = new SlabRegistry();
    SlabCache slab = SlabCache.builder("mp-slab").objectSize(64).registry(caches).build();
    Mempool p1 = Mempool.builder("p", slab).minNr(2).build();
    SlabkitMetrics m = new SlabkitMetrics(caches, p1);
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    m.bindTo(reg);
    m.bindTo(reg); // binding twice is a refresh
    assertEquals(1, reg.find("slabkit.mempool.objects.live").gauges().size());
    p1.close();
    assertTrue(p1.isClosed());
    m.refresh();
    assertEquals(2, gauge(reg, "slabkit.mempool.reserve.min", "pool", "p"), "a closed pool keeps its meters");
    Mempool p2 = Mempool.builder("p", slab).minNr(3).build();
    assertFalse(p2.isClosed());
    m.addPool(p2);
    long h = p2.allocate();
    try {
      assertEquals(3, gauge(reg, "slabkit.mempool.reserve.min", "pool", "p"), "reserve.min of the open pool 'p'");
      assertEquals(1, gauge(reg, "slabkit.mempool.objects.live", "pool", "p"), "live objects of the open pool 'p'");
    } finally {
      p2.free(h);
      p2.close();
      slab.close();
    }
  }

  /** Removing the closed pool after the new one was added must leave the new pool's meters in place. */
  @Test
  void removingAClosedPoolKeepsTheMetersOfItsSuccessor() {
    SlabRegistry caches = new SlabRegistry();
    SlabCache slab = SlabCache.builder("mp-slab2").objectSize(64).registry(caches).build();
    Mempool p1 = Mempool.builder("q", slab).minNr(2).build();
    SlabkitMetrics m = new SlabkitMetrics(caches, p1);
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    m.bindTo(reg);
    p1.close();
    Mempool p2 = Mempool.builder("q", slab).minNr(3).build();
    m.addPool(p2);
    m.removePool(p1);
    long h = p2.allocate();
    try {
      assertEquals(3, gauge(reg, "slabkit.mempool.reserve.min", "pool", "q"), "meters of the open pool 'q'");
      assertEquals(1, gauge(reg, "slabkit.mempool.objects.live", "pool", "q"), "live objects of the open pool");
      assertEquals(1, reg.find("slabkit.mempool.objects.live").gauges().size(), "one pool 'q' is metered");
    } finally {
      p2.free(h);
      p2.close();
      slab.close();
    }
  }

  /** A cache closed and reopened under the same name: after refresh the meters read the new cache. */
  @Test
  void aReopenedCacheIsMeteredAfterRefresh() {
    SlabRegistry caches = new SlabRegistry();
    SlabCache c1 = SlabCache.builder("c").objectSize(64).registry(caches).build();
    SlabkitMetrics m = new SlabkitMetrics(caches);
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    m.bindTo(reg);
    long h1 = c1.allocate();
    assertEquals(1, gauge(reg, "slabkit.slab.objects.active", "cache", "c"));
    c1.free(h1);
    c1.close();
    SlabCache c2 = SlabCache.builder("c").objectSize(128).registry(caches).build();
    m.refresh();
    long a = c2.allocate();
    long b = c2.allocate();
    try {
      assertEquals(2, gauge(reg, "slabkit.slab.objects.active", "cache", "c"));
      assertEquals(128, gauge(reg, "slabkit.slab.object.size", "cache", "c"));
    } finally {
      c2.free(a);
      c2.free(b);
      c2.close();
    }
    m.refresh();
    assertEquals(0, reg.find("slabkit.slab.objects.active").gauges().size(), "no meters for closed caches");
  }
}
