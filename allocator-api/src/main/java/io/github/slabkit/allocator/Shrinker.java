package io.github.slabkit.allocator;

/**
 * Something that can give memory back to a {@link MemoryBudget} on request, like the kernel's shrinkers.
 * Slab caches register themselves with their budget; a blocking allocation that finds the budget exhausted
 * asks every shrinker before it waits.
 *
 * <p>{@link #shrink(long)} is called from an allocating thread that holds no allocator lock; it may take
 * its own locks but must not block waiting for memory.
 */
@FunctionalInterface
public interface Shrinker {
  /**
   * Releases idle memory (empty slabs, idle per-thread caches) and credits it to the budget.
   *
   * @param bytesWanted how many bytes the caller hopes for; a hint
   * @return the bytes credited to the budget by this call
   */
  long shrink(long bytesWanted);
}
