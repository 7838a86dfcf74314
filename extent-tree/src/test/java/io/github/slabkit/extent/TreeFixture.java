package io.github.slabkit.extent;

import io.github.slabkit.allocator.contract.TestAllocator;

/** Trees over a {@link TestAllocator}, for tests that do not need the slab cache and the mempool. */
final class TreeFixture {
  private TreeFixture() {}

  static TestAllocator allocator(String name, int capacity) {
    return new TestAllocator(name, ExtentTreeBuilder.STATE_SIZE, capacity, 42);
  }

  static ExtentTree tree(TestAllocator a) {
    return ExtentTree.builder("test-tree").allocator(a).build();
  }

  static ExtentTree tree(TestAllocator a, ExtentHooks hooks) {
    return ExtentTree.builder("test-tree").allocator(a).hooks(hooks).build();
  }
}
