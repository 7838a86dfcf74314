package io.github.slabkit.extent;

/** {@link ExtentTreeBadInputTest} on a B+tree of tiny nodes (4 states per leaf, 4 children), so splits are frequent. */
class BTreeBadInputTest extends ExtentTreeBadInputTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }
}
