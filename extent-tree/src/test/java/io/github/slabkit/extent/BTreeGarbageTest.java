package io.github.slabkit.extent;

/** {@link ExtentTreeGarbageTest} on the default B+tree: optimistic queries allocate nothing either. */
class BTreeGarbageTest extends ExtentTreeGarbageTest {
  @Override
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name).bTree();
  }
}
