/** Slabkit implementation shared by the library modules; not API. */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.allocator.internal;
