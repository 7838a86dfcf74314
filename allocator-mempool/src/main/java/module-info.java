/**
 * Slabkit mempools: pools with a preallocated reserve that guarantees forward progress when the backing
 * allocator runs dry (the kernel's {@code mempool_t}), and {@link io.github.slabkit.mempool.Reservation}s,
 * which preallocate every object an operation needs from one or more pools atomically, so that the
 * two-pool ABBA deadlock cannot happen.
 */
@org.jspecify.annotations.NullMarked
module io.github.slabkit.mempool {
  requires transitive io.github.slabkit.allocator;
  requires transitive java.management;
  requires jdk.jfr;

  exports io.github.slabkit.mempool;
}
