package io.github.slabkit.extent;

import io.github.slabkit.allocator.contract.TestAllocator;

/**
 * {@link ExtentTreeModelTest} on a B+tree of tiny nodes (4 states per leaf, 4 children): the random
 * operations split and free leaves and inner nodes all the time, and {@code verify()} checks the separators
 * and the leaf chain after each step.
 */
class BTreeModelTest extends ExtentTreeModelTest {
  @Override
  TestAllocator allocator(String name, int capacity) {
    return new TestAllocator(name, ExtentTreeBuilder.NODE_SIZE, capacity, 42);
  }

  @Override
  ExtentTree tree(TestAllocator alloc, ExtentHooks hooks) {
    return ExtentTree.builder("test-tree").allocator(alloc).hooks(hooks).bTree(4, 4).build();
  }
}
