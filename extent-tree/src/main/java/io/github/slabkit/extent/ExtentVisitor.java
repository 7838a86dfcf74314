package io.github.slabkit.extent;

/**
 * Receives extent states during {@link ExtentTree#forEach}: a zero-garbage alternative to a list or an
 * iterator. Called under the tree lock: it must be quick and must not call into the tree.
 */
@FunctionalInterface
public interface ExtentVisitor {
  /**
   * Visits one state.
   *
   * @param start first offset of the state
   * @param end last offset of the state, inclusive
   * @param bits the state's bits
   * @return {@code true} to continue, {@code false} to stop
   */
  boolean visit(long start, long end, int bits);
}
