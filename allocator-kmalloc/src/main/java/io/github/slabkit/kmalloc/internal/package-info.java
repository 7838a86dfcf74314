/**
 * Implementation of the kmalloc allocator: the size-class table, the handle codec, large allocations, the
 * request sampler and the arena. Not exported.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.kmalloc.internal;
