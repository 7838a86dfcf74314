package io.github.slabkit.extent;

/** {@link ExtentTreeBtrfsParityTest} on a B+tree of tiny nodes (4 states per leaf, 4 children), so splits are frequent. */
class BTreeBtrfsParityTest extends ExtentTreeBtrfsParityTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }
}
