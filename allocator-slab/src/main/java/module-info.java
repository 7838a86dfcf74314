/**
 * Off-heap slab caches of fixed-size objects, after the Linux kernel's {@code kmem_cache}: per-thread
 * magazines over a shared depot, bulk allocation, sheaves, shrinking, slabinfo statistics.
 */
@org.jspecify.annotations.NullMarked
module io.github.slabkit.slab {
  requires transitive io.github.slabkit.allocator;
  requires org.jctools.core;
  requires jdk.jfr;
  requires transitive java.management;

  exports io.github.slabkit.slab;
}
