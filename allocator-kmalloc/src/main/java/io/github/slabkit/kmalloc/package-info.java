/**
 * kmalloc-style size classes over slab caches: {@link io.github.slabkit.kmalloc.Kmalloc} serves any size
 * from the class that fits ({@code kmalloc-8} ... {@code kmalloc-8k}, each a {@link
 * io.github.slabkit.slab.SlabCache}, all charged to one budget), larger requests from their own pages, and
 * {@link io.github.slabkit.kmalloc.Kmalloc#newArena()} gives FFM code a confined {@link java.lang.foreign.Arena}
 * backed by the classes.
 *
 * <h2>Wait-for graph</h2>
 * A blocking allocation waits in exactly one place: the shared {@link io.github.slabkit.allocator.MemoryBudget}
 * (through the class cache's growth, or directly for a large allocation), bounded by {@code maxWait}, and it
 * holds nothing of this package while it waits: no lock (the large-object table's lock is taken only after
 * the budget granted the charge, and never while waiting), and no object it allocated earlier in the same
 * call (a bulk allocation gives back what it took before it reports failure). Frees never wait and never
 * need memory. The budget's shrinkers are the class caches, which release empty slabs without waiting.
 * So no cycle can form within the allocator; a caller that holds objects while it waits for more is
 * covered by the budget's timeout, and {@code KmallocBudgetTest} exhausts a tiny budget from many threads
 * under a progress watchdog.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.kmalloc;
