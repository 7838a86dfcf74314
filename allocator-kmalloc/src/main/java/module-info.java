/**
 * Variable-size off-heap allocation from kmalloc-style size classes, each a slab cache, and a confined
 * {@link java.lang.foreign.Arena} whose segments come from those classes.
 */
@org.jspecify.annotations.NullMarked
module io.github.slabkit.kmalloc {
  requires transitive io.github.slabkit.allocator;
  requires transitive io.github.slabkit.slab;

  exports io.github.slabkit.kmalloc;
}
