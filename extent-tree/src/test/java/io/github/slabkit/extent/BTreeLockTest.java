package io.github.slabkit.extent;

/** {@link ExtentTreeLockTest} on a B+tree of tiny nodes (4 states per leaf, 4 children), so splits are frequent. */
class BTreeLockTest extends ExtentTreeLockTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }
}
