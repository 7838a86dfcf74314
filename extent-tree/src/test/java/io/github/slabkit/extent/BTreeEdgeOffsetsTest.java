package io.github.slabkit.extent;

/** {@link ExtentTreeEdgeOffsetsTest} on a B+tree of tiny nodes. */
class BTreeEdgeOffsetsTest extends ExtentTreeEdgeOffsetsTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree(4, 4);
  }
}
