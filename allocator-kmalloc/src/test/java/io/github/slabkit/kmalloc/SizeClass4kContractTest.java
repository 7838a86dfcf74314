package io.github.slabkit.kmalloc;

/** The contract for 3000-byte requests, served by {@code kmalloc-4k} (8-handle magazines, 16 objects per slab). */
class SizeClass4kContractTest extends SizeClassContractTest {
  @Override
  long requestSize() {
    return 3000;
  }
}
