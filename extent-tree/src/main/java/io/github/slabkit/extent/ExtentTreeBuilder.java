package io.github.slabkit.extent;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.StateLayout;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds an {@link ExtentTree}. Obtain one from {@link ExtentTree#builder(String)}.
 */
public final class ExtentTreeBuilder {
  private final String name;
  private ExtentHooks hooks = ExtentHooks.NONE;
  private @Nullable ObjectAllocator pool;
  private @Nullable ObjectAllocator memory;

  ExtentTreeBuilder(String name) {
    this.name = name;
  }

  /**
   * Sets the accounting hooks. Default: {@link ExtentHooks#NONE}.
   *
   * @param hooks the hooks
   * @return this builder
   */
  public ExtentTreeBuilder hooks(ExtentHooks hooks) {
    this.hooks = hooks;
    return this;
  }

  /**
   * Takes states from {@code allocator}, which the tree does not close. Its objects must be at least
   * {@link #STATE_SIZE} bytes, 8-byte aligned. Operations cannot fail for lack of memory only if it never
   * fails ({@code Mempool}).
   *
   * @param allocator the state allocator, both for allocation and for memory access
   * @return this builder
   */
  public ExtentTreeBuilder allocator(ObjectAllocator allocator) {
    return allocator(allocator, allocator);
  }

  /**
   * Takes states from {@code pool} and reads them through {@code memory} (the slab cache behind the pool,
   * saving a delegation per access); the tree closes neither.
   *
   * @param pool where states are allocated and freed
   * @param memory resolves handles of {@code pool} to memory
   * @return this builder
   */
  public ExtentTreeBuilder allocator(ObjectAllocator pool, ObjectAllocator memory) {
    if (pool.objectSize() < STATE_SIZE || memory.objectSize() < STATE_SIZE) {
      throw new IllegalArgumentException(
          name + ": state objects need " + STATE_SIZE + " bytes, " + pool.name() + " has " + pool.objectSize());
    }
    this.pool = pool;
    this.memory = memory;
    return this;
  }

  /** Bytes per extent state. */
  public static final long STATE_SIZE = StateLayout.SIZE;

  /**
   * Builds the tree.
   *
   * @return the tree
   */
  public ExtentTree build() {
    ObjectAllocator p = pool;
    ObjectAllocator m = memory;
    if (p == null || m == null) {
      throw new IllegalStateException(name + ": no state allocator configured");
    }
    return new ExtentTree(name, p, m, hooks, List.of());
  }
}
