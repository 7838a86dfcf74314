/**
 * Contracts shared by every Slabkit allocator.
 *
 * <h2>Handles</h2>
 * An allocated object is named by a <em>handle</em>, an opaque {@code long}; {@code 0} ({@link
 * io.github.slabkit.allocator.ObjectAllocator#NO_HANDLE}) means none. A handle resolves to the FFM coordinate
 * pair that layout {@code VarHandle}s take, {@code memory(h)} and {@code offset(h)}, without allocating.
 *
 * <h2>Blocking modes</h2>
 * The vocabulary follows {@code java.util.concurrent} and maps to the kernel's gfp modes:
 * {@code tryAllocate()} is GFP_NOWAIT, {@code tryAllocate(timeout, unit)} may reclaim and wait,
 * {@code allocate()} may reclaim and wait and either succeeds or throws
 * {@link io.github.slabkit.allocator.AllocationFailedException} (a mempool's never fails).
 *
 * <h2>Budgets</h2>
 * A {@link io.github.slabkit.allocator.MemoryBudget} is a byte limit shared by many allocators, with
 * {@link io.github.slabkit.allocator.Shrinker}s that a blocking allocation asks to release idle memory.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.allocator;
