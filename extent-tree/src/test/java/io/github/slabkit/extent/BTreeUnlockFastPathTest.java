package io.github.slabkit.extent;

/** {@link ExtentTreeUnlockFastPathTest} on a B+tree of tiny nodes (4 states per leaf, 4 children). */
class BTreeUnlockFastPathTest extends ExtentTreeUnlockFastPathTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }
}
