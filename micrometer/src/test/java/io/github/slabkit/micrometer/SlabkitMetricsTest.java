package io.github.slabkit.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabRegistry;
import io.github.slabkit.slab.SlabStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The binder's meters show what the caches' and pools' statistics say, and follow caches that come and go. */
class SlabkitMetricsTest {
  private static double gauge(SimpleMeterRegistry r, String name, String tag, String value) {
    Gauge g = r.find(name).tag(tag, value).gauge();
    assertNotNull(g, name + " " + tag + "=" + value + " is missing");
    return g.value();
  }

  private static double counter(SimpleMeterRegistry r, String name, String tag, String value) {
    FunctionCounter c = r.find(name).tag(tag, value).functionCounter();
    assertNotNull(c, name + " " + tag + "=" + value + " is missing");
    return c.count();
  }

  @Test
  void slabMetersReadTheCachesStatistics() {
    SlabRegistry caches = new SlabRegistry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (SlabCache c = SlabCache.builder("nodes").objectSize(64).registry(caches).build()) {
      new SlabkitMetrics(caches).bindTo(registry);
      long[] h = new long[10];
      c.allocateBulk(h, 10);
      c.free(h[0]);
      SlabStatistics s = c.slabStatistics();
      assertEquals((double) s.activeObjects(), gauge(registry, "slabkit.slab.objects.active", "cache", "nodes"));
      assertEquals((double) s.totalObjects(), gauge(registry, "slabkit.slab.objects.total", "cache", "nodes"));
      assertEquals((double) s.totalSlabs(), gauge(registry, "slabkit.slab.slabs.total", "cache", "nodes"));
      assertEquals((double) s.bytesInUse(), gauge(registry, "slabkit.slab.memory.used", "cache", "nodes"));
      assertEquals(64, gauge(registry, "slabkit.slab.object.size", "cache", "nodes"));
      assertEquals(10, counter(registry, "slabkit.slab.allocations", "cache", "nodes"));
      assertEquals(1, counter(registry, "slabkit.slab.frees", "cache", "nodes"));
      assertEquals((double) s.slabGrows(), counter(registry, "slabkit.slab.grows", "cache", "nodes"));
      assertEquals("bytes", registry.find("slabkit.slab.memory.used").gauge().getId().getBaseUnit());
      for (int i = 1; i < h.length; i++) {
        c.free(h[i]); // the gauges are live: they read the statistics when asked
      }
      assertTrue(gauge(registry, "slabkit.slab.objects.active", "cache", "nodes") <= s.activeObjects());
      assertEquals(10, counter(registry, "slabkit.slab.frees", "cache", "nodes"));
    }
  }

  @Test
  void everyStatisticOfBothKindsHasAMeter() {
    SlabRegistry caches = new SlabRegistry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (SlabCache c = SlabCache.builder("states").objectSize(48).registry(caches).build();
        Mempool pool = Mempool.builder("state_pool", c).minNr(4).build()) {
      new SlabkitMetrics(caches, pool).bindTo(registry);
      Set<String> names = new TreeSet<>();
      for (Meter m : registry.getMeters()) {
        names.add(m.getId().getName());
      }
      assertEquals(20 + 11, names.size(), names.toString());
      assertEquals(1, registry.find("slabkit.slab.allocations").meters().size(), "one per cache");
      assertTrue(names.stream().allMatch(n -> n.startsWith("slabkit.slab.") || n.startsWith("slabkit.mempool.")), names.toString());
    }
  }

  @Test
  void mempoolMetersShowReserveUseAndWaits() throws Exception {
    SlabRegistry caches = new SlabRegistry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // A budget of one slab: once it is full, the pool serves from its reserve.
    SlabCache probe = SlabCache.builder("probe").objectSize(64).objectsPerSlab(8).registry(new SlabRegistry()).build();
    long slab = probe.slabStatistics().slabBytes();
    probe.close();
    try (SlabCache c =
            SlabCache.builder("bufs")
                .objectSize(64)
                .objectsPerSlab(8)
                .budget(MemoryBudget.ofBytes("one-slab", slab))
                .registry(caches)
                .build();
        Mempool pool = Mempool.builder("buf_pool", c).minNr(8).build()) {
      SlabkitMetrics metrics = new SlabkitMetrics(caches, pool);
      metrics.bindTo(registry);
      assertEquals(8, gauge(registry, "slabkit.mempool.reserve.level", "pool", "buf_pool"));
      assertEquals(8, gauge(registry, "slabkit.mempool.reserve.min", "pool", "buf_pool"));
      long h = pool.allocate(); // the slab is all reserve: this one comes from the reserve
      assertEquals((double) pool.mempoolStatistics().reserveHits(), counter(registry, "slabkit.mempool.reserve.hits", "pool", "buf_pool"));
      assertEquals(1, counter(registry, "slabkit.mempool.allocations", "pool", "buf_pool"));
      assertEquals(1, gauge(registry, "slabkit.mempool.objects.live", "pool", "buf_pool"));
      FunctionTimer wait = registry.find("slabkit.mempool.wait").tag("pool", "buf_pool").functionTimer();
      assertNotNull(wait);
      assertEquals((double) pool.mempoolStatistics().waits(), wait.count());
      TimeGauge max = registry.find("slabkit.mempool.wait.max").tag("pool", "buf_pool").timeGauge();
      assertNotNull(max);
      assertEquals(pool.mempoolStatistics().maxWaitNanos() / 1e9, max.value(TimeUnit.SECONDS), 1e-9);
      pool.free(h);
      assertEquals(0, gauge(registry, "slabkit.mempool.objects.live", "pool", "buf_pool"));
      metrics.removePool(pool);
      assertNull(registry.find("slabkit.mempool.reserve.level").gauge(), "removePool removes the pool's meters");
      assertNotNull(registry.find("slabkit.slab.objects.active").tag("cache", "bufs").gauge());
    }
  }

  @Test
  void refreshFollowsCachesThatOpenAndClose() {
    SlabRegistry caches = new SlabRegistry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SlabkitMetrics metrics = new SlabkitMetrics(caches);
    metrics.bindTo(registry);
    assertTrue(registry.getMeters().isEmpty());
    SlabCache a = SlabCache.builder("a").objectSize(16).registry(caches).build();
    try (SlabCache b = SlabCache.builder("b").objectSize(16).registry(caches).build()) {
      assertNull(registry.find("slabkit.slab.objects.active").tag("cache", "a").gauge(), "not before refresh");
      metrics.refresh();
      assertNotNull(registry.find("slabkit.slab.objects.active").tag("cache", "a").gauge());
      assertNotNull(registry.find("slabkit.slab.objects.active").tag("cache", "b").gauge());
      a.close();
      metrics.refresh();
      assertNull(registry.find("slabkit.slab.objects.active").tag("cache", "a").gauge(), "a closed cache's meters go");
      assertEquals(20, registry.getMeters().size(), "the 20 meters of b only");
      metrics.bindTo(registry); // binding again is a refresh, not a second set of meters
      assertEquals(20, registry.getMeters().size());
    }
  }

  @Test
  void twoRegistriesEachGetTheMeters() {
    SlabRegistry caches = new SlabRegistry();
    SimpleMeterRegistry one = new SimpleMeterRegistry();
    SimpleMeterRegistry two = new SimpleMeterRegistry();
    try (SlabCache c = SlabCache.builder("shared").objectSize(16).registry(caches).build();
        Mempool pool = Mempool.builder("shared_pool", c).minNr(2).build()) {
      SlabkitMetrics metrics = new SlabkitMetrics(caches);
      metrics.bindTo(one);
      metrics.bindTo(two);
      metrics.addPool(pool);
      assertEquals(31, one.getMeters().size());
      assertEquals(31, two.getMeters().size());
      metrics.removePool(pool);
      assertEquals(20, two.getMeters().size());
    }
  }
}
