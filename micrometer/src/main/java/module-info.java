/**
 * Slabkit's optional Micrometer binder: {@link io.github.slabkit.micrometer.SlabkitMetrics} exposes every slab
 * cache's and mempool's statistics to a Micrometer {@code MeterRegistry}. Only this module depends on
 * Micrometer; the allocator modules do not.
 */
@org.jspecify.annotations.NullMarked
// micrometer-core 1.17 is an automatic module (no module-info): requiring it is the only way to use it.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.slabkit.micrometer {
  requires transitive io.github.slabkit.slab;
  requires transitive io.github.slabkit.mempool;
  requires transitive micrometer.core;

  exports io.github.slabkit.micrometer;
}
