package io.github.slabkit.micrometer;

import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The meters of one slab cache (the table in {@link SlabkitMetrics}). */
final class SlabMeters {
  private SlabMeters() {}

  static List<Meter> register(MeterRegistry r, SlabCache cache) {
    List<Meter> m = new ArrayList<>();
    String objects = BaseUnits.OBJECTS;
    String bytes = BaseUnits.BYTES;
    m.add(gauge(r, "slabkit.slab.objects.active", cache, objects, "objects allocated and not freed", s -> s.activeObjects()));
    m.add(gauge(r, "slabkit.slab.objects.cached", cache, objects, "free objects held in magazines and the depot", s -> s.cachedObjects()));
    m.add(gauge(r, "slabkit.slab.objects.total", cache, objects, "objects in all slabs (num_objs)", s -> s.totalObjects()));
    m.add(gauge(r, "slabkit.slab.slabs.active", cache, "slabs", "slabs with an object out of the slab layer", s -> s.activeSlabs()));
    m.add(gauge(r, "slabkit.slab.slabs.total", cache, "slabs", "all slabs (num_slabs)", s -> s.totalSlabs()));
    m.add(gauge(r, "slabkit.slab.slabs.empty", cache, "slabs", "empty slabs kept for reuse", s -> s.emptySlabs()));
    m.add(gauge(r, "slabkit.slab.memory.used", cache, bytes, "bytes in use by objects", SlabStatistics::bytesInUse));
    m.add(gauge(r, "slabkit.slab.memory.cached", cache, bytes, "bytes of free objects in magazines and the depot", SlabStatistics::bytesCached));
    m.add(gauge(r, "slabkit.slab.memory.empty", cache, bytes, "bytes in empty slabs", SlabStatistics::bytesInEmptySlabs));
    m.add(gauge(r, "slabkit.slab.memory.charged", cache, bytes, "bytes charged to the memory budget", s -> s.bytesCharged()));
    m.add(gauge(r, "slabkit.slab.object.size", cache, bytes, "usable bytes of one object", s -> s.objectSize()));
    m.add(gauge(r, "slabkit.slab.thread.caches", cache, "threads", "platform-thread caches registered", s -> s.threadCaches()));
    m.add(counter(r, "slabkit.slab.allocations", cache, objects, "allocations", s -> s.allocations()));
    m.add(counter(r, "slabkit.slab.allocations.fast", cache, objects, "allocations served from the thread's magazine", s -> s.fastPathAllocations()));
    m.add(counter(r, "slabkit.slab.frees", cache, objects, "frees", s -> s.frees()));
    m.add(counter(r, "slabkit.slab.depot.exchanges", cache, "magazines", "magazines exchanged with the depot", s -> s.depotExchanges()));
    m.add(counter(r, "slabkit.slab.grows", cache, "slabs", "slabs created", s -> s.slabGrows()));
    m.add(counter(r, "slabkit.slab.releases", cache, "slabs", "slabs released to the operating system", s -> s.slabReleases()));
    m.add(counter(r, "slabkit.slab.failures", cache, "allocations", "allocations that returned 0 or threw for lack of memory", s -> s.failures()));
    m.add(counter(r, "slabkit.slab.double.frees", cache, "frees", "double frees detected and ignored", s -> s.doubleFrees()));
    return m;
  }

  private static Meter gauge(
      MeterRegistry r, String meter, SlabCache cache, String unit, String description, ToDoubleFunction<SlabStatistics> value) {
    return Gauge.builder(meter, cache, c -> value.applyAsDouble(c.slabStatistics()))
        .tag(SlabkitMetrics.CACHE_TAG, cache.name())
        .baseUnit(unit)
        .description(description)
        .register(r);
  }

  private static Meter counter(
      MeterRegistry r, String meter, SlabCache cache, String unit, String description, ToDoubleFunction<SlabStatistics> value) {
    return FunctionCounter.builder(meter, cache, c -> value.applyAsDouble(c.slabStatistics()))
        .tag(SlabkitMetrics.CACHE_TAG, cache.name())
        .baseUnit(unit)
        .description(description)
        .register(r);
  }
}
